/*
 * pseudo.h - keyed pseudonyms for external ids (igraph-ingest
 * --pseudonymize).
 *
 * A pseudonym is the first 128 bits of HMAC-SHA-256(key, id) (RFC 2104;
 * truncation to half the output as its section 5 allows), written as 32
 * lowercase hex digits.  The MAC comes from nettle; nothing here is
 * hand-made crypto.  The same key gives the same pseudonym for the same id
 * in every run, so files ingested on different days still share users;
 * without the key the ids cannot be recovered or tested for.
 *
 * Ownership: the handle is owned by the caller (igr_pseudo_free wipes the
 * key from memory).
 */
#ifndef IGR_PSEUDO_H
#define IGR_PSEUDO_H

#include <stddef.h>

#include "io.h"

#define IGR_PSEUDO_LEN 32     /* hex digits */
#define IGR_PSEUDO_MINKEY 16  /* bytes */
#define IGR_PSEUDO_MAXKEY 4096

typedef struct igr_pseudo igr_pseudo;

/* Read the key: the bytes of KEYFILE exactly as they are (a trailing
 * newline is part of the key).  At least IGR_PSEUDO_MINKEY bytes. */
igr_pseudo *igr_pseudo_open(const char *keyfile) IGR_WUR;

/* Key given in memory (tests). */
igr_pseudo *igr_pseudo_new(const void *key, size_t len) IGR_WUR;

/* Pseudonym of ID (LEN bytes) into OUT (NUL-terminated). */
void igr_pseudo_id(igr_pseudo *ps, const char *id, size_t len,
		   char out[IGR_PSEUDO_LEN + 1]);

void igr_pseudo_free(igr_pseudo *ps);

#endif
