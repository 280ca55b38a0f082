/* pseudo.c - HMAC-SHA-256 pseudonyms through nettle (see pseudo.h). */
#include "pseudo.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct igr_pseudo {
	struct hmac_sha256_ctx ctx; /* keyed; reset by each digest */
};

igr_pseudo *igr_pseudo_new(const void *key, size_t len)
{
	igr_pseudo *ps;

	if (len < IGR_PSEUDO_MINKEY)
		return igr_error("pseudonymization key of %zu bytes is too "
				 "short (at least %d)", len,
				 IGR_PSEUDO_MINKEY), NULL;
	if (len > IGR_PSEUDO_MAXKEY)
		return igr_error("pseudonymization key longer than %d bytes",
				 IGR_PSEUDO_MAXKEY), NULL;
	ps = calloc(1, sizeof *ps);
	if (ps == NULL)
		return igr_error("out of memory"), NULL;
	hmac_sha256_set_key(&ps->ctx, len, key);
	return ps;
}

igr_pseudo *igr_pseudo_open(const char *keyfile)
{
	unsigned char key[IGR_PSEUDO_MAXKEY + 1];
	size_t n = 0;
	igr_pseudo *ps;
	int fd = open(keyfile, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return igr_syserror("cannot open key file '%s'", keyfile), NULL;
	while (n < sizeof key) {
		ssize_t r = read(fd, key + n, sizeof key - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			igr_syserror("cannot read key file '%s'", keyfile);
			close(fd);
			explicit_bzero(key, sizeof key);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	ps = igr_pseudo_new(key, n);
	explicit_bzero(key, sizeof key);
	if (ps == NULL)
		igr_error_prefix("%s", keyfile);
	return ps;
}

void igr_pseudo_id(igr_pseudo *ps, const char *id, size_t len,
		   char out[IGR_PSEUDO_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t mac[SHA256_DIGEST_SIZE];
	int i;

	hmac_sha256_update(&ps->ctx, len, (const uint8_t *)id);
	hmac_sha256_digest(&ps->ctx, sizeof mac, mac);
	for (i = 0; i < IGR_PSEUDO_LEN / 2; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[IGR_PSEUDO_LEN] = '\0';
	explicit_bzero(mac, sizeof mac);
}

void igr_pseudo_free(igr_pseudo *ps)
{
	if (ps == NULL)
		return;
	explicit_bzero(ps, sizeof *ps);
	free(ps);
}
