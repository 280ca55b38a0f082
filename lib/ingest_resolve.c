/* ingest_resolve.c - igraph-ingest on several ranks: each rank gives its
 * own rows their ids and decides their duplicates, exactly as the serial
 * run would (see ingest.h igr_ingest_resolve and ingest_par.c).
 *
 * Ids.  The serial run numbers names in the order they are first seen,
 * so a name new to the run gets the next id on the first rank (in rank
 * order) whose rows hold it, in that rank's first-seen order.  Each name
 * has an owner rank (by its hash; ranks 1 .. N-1, rank 0 being busy with
 * the vocabulary and the output), to which every rank sends its distinct
 * names; the owner finds the first rank of each, asks rank 0 once per
 * distinct name whether the vocabulary already has it (rank 0 read the
 * first share itself), and tells each rank which of its names are known
 * (their ids), first seen there, or first seen on a rank before.  The
 * ranks then number their first-seen names from bases summed in rank
 * order, tell the owners, which tell the other ranks; rank 0 appends the
 * new names to the vocabulary in rank order (one writer).  Rank 0's work
 * is one lookup per distinct name of the run, not one per row.
 *
 * Duplicates.  A record is a duplicate when it is among the last W
 * distinct accepted records (ingest_dedup.c): the window holds exactly
 * the last W insertions (an insertion is never of a key in the window),
 * so two runs that make the same W insertions in a row hold the same
 * window from there on.  Each rank first decides its rows from an empty
 * window (the speculative pass, all ranks at once), then receives the
 * true window at its start from the rank before, decides its rows again
 * from that until the two passes have agreed on W accepted rows in a
 * row, and from there on keeps the speculative decisions; at that point
 * (or at its end, if its rows are fewer) its own final window is known
 * and goes on to the next rank.  So the ranks wait on one another for
 * about W rows each, not for all the rows before them.  (A rank with
 * fewer rows than W could never see W agree, so it skips the speculative
 * pass; and keys that recur about every W rows can keep the two passes
 * apart to the end: then the rank's rows are decided in turn after the
 * rank before, still exactly.)
 *
 * The rows go to rank 0 as resolved entries of the same log ('D' an
 * accepted event, 'U' a duplicate), which it writes without looking
 * anything up. */
#include "ingest.h"
#include "error.h"
#include "mem.h"
#include "par.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A name's state as an owner reports it to a rank. */
enum { KNOWN = 0, FIRST = 1, LATER = 2 };

/* A growable byte buffer. */
struct buf {
	unsigned char *p;
	size_t n, cap;
};

static int bput(struct buf *b, const void *p, size_t n)
{
	if (igr_grow(&b->p, &b->cap, b->n + n, 1) < 0)
		return -1;
	memcpy(b->p + b->n, p, n);
	b->n += n;
	return 0;
}

/* A name as sent: its type, its length, its bytes. */
static int put_name(struct buf *b, int t, const char *s, size_t len)
{
	unsigned char tb = (unsigned char)t;
	uint32_t l = (uint32_t)len;

	return bput(b, &tb, 1) < 0 || bput(b, &l, 4) < 0 ? -1
							   : bput(b, s, len);
}

/* The next name of [*P, END): 1, 0 at the end, -1 on a bad message. */
static int get_name(const unsigned char **p, const unsigned char *end,
		    int *t, const char **s, size_t *len)
{
	uint32_t l;

	if (*p == end)
		return 0;
	if (end - *p < 5)
		return igr_error("bad message of names (an internal error)");
	*t = **p;
	memcpy(&l, *p + 1, 4);
	if (*t > 2 || (size_t)(end - *p - 5) < l)
		return igr_error("bad message of names (an internal error)");
	*s = (const char *)*p + 5;
	*len = l;
	*p += 5 + (size_t)l;
	return 1;
}

/* One type's distinct names of this rank's rows, first-seen order. */
struct names {
	igr_idtab *tab;  /* name -> local index */
	struct buf s;    /* the names back to back */
	uint64_t *off;   /* name i: s.p[off[i], off[i + 1]) */
	size_t n, ocap;
	uint32_t *id;    /* their dense ids */
	uint8_t *state;  /* KNOWN, FIRST or LATER */
};

struct res {
	igr_ingest *ig;
	int rank, size;
	struct names nm[3];
	igr_idtab *raw;  /* --pseudonymize: raw user id -> local index */
	uint64_t rows;   /* rows ('R' entries) of the log */
	uint32_t *lid;   /* row i's names' local indices: lid[3i .. 3i+2]
			    (UINT32_MAX: no category) */
	size_t lcap;
};

static const char *name_of(const struct names *m, size_t i, size_t *len)
{
	*len = (size_t)(m->off[i + 1] - m->off[i]);
	return (const char *)m->s.p + m->off[i];
}

/* The local index of name S of type T (H its hash), added when new. */
static int local_find(struct res *R, int t, const char *s, size_t len,
		      uint64_t h, uint32_t *idx)
{
	struct names *m = &R->nm[t];

	if (igr_idtab_find(m->tab, s, len, h, idx))
		return 0;
	if (m->n >= UINT32_MAX - 1)
		return igr_error("too many distinct names on one rank");
	if (igr_grow(&m->off, &m->ocap, m->n + 2, sizeof *m->off) < 0 ||
	    bput(&m->s, s, len) < 0)
		return -1;
	*idx = (uint32_t)m->n;
	m->off[0] = 0;
	m->off[++m->n] = m->s.n;
	return igr_idtab_add(m->tab, s, len, h, *idx);
}

/* The local indices of the names of row I (its names, hashes H) into
 * R->lid, names new to this rank added. */
static int row_names(struct res *R, const struct igr_ingest_logrow *row,
		     const uint64_t h[3], uint64_t i)
{
	uint32_t *lid = R->lid + 3 * i;
	int t;

	for (t = 0; t < 3; t++) {
		const char *s = row->s[t];
		size_t len = row->len[t];
		char buf[IGR_INGEST_NAME_BUF];

		lid[t] = UINT32_MAX;
		if (!(row->has >> t & 1))
			continue;
		if (t > 0 || R->raw == NULL) {
			if (local_find(R, t, s, len, h[t], &lid[t]) < 0)
				return -1;
			continue;
		}
		/* a pseudonym is worked out once per raw id */
		if (igr_idtab_find(R->raw, s, len, h[t], &lid[t]))
			continue;
		{
			size_t plen = len;
			const char *p = igr_ingest_user_name(R->ig, s, &plen,
							     buf);
			if (local_find(R, t, p, plen,
				       igr_idtab_hash(p, plen), &lid[t]) < 0 ||
			    igr_idtab_add(R->raw, s, len, h[t], lid[t]) < 0)
				return -1;
		}
	}
	return 0;
}

/* A log, readable; its pages given back behind the reader (a mapping of
 * a log of gigabytes would otherwise stay resident, if reclaimable). */
struct view {
	const unsigned char *p;
	void *map;
	uint64_t len, done;
};

static void view_passed(struct view *v, const unsigned char *at)
{
	uint64_t upto = (uint64_t)(at - v->p) & ~(uint64_t)((1 << 24) - 1);

	if (v->map != NULL && upto > v->done) {
		igr_ingest_log_release(v->map, v->done, upto - v->done);
		v->done = upto;
	}
}

static void view_rewind(struct view *v)
{
	v->done = 0;
}

/* Rows looked up in batches, their table slots prefetched first (the
 * tables of millions of names are far bigger than the caches). */
#define BATCH 64

/* The names of every row of the log, in first-seen order, and each
 * row's local indices. */
static int collect(struct res *R, struct view *v)
{
	const unsigned char *p = v->p, *end = v->p + v->len;
	struct igr_ingest_logrow rows[BATCH];
	uint64_t h[BATCH][3];
	size_t n = 0, k;
	int r, t;

	do {
		r = igr_ingest_log_next(&p, end, &rows[n]);
		if (r > 0 && rows[n].tag != 'R')
			continue;
		if (r > 0) {
			struct igr_ingest_logrow *w = &rows[n];
			for (t = 0; t < 3; t++) {
				if (!(w->has >> t & 1))
					continue;
				h[n][t] = igr_idtab_hash(w->s[t], w->len[t]);
				igr_idtab_prefetch(t == 0 && R->raw != NULL
							   ? R->raw
							   : R->nm[t].tab,
						   h[n][t]);
			}
			if (++n < BATCH)
				continue;
		}
		if (igr_grow(&R->lid, &R->lcap, 3 * (R->rows + n),
			     sizeof *R->lid) < 0)
			return -1;
		for (k = 0; k < n; k++)
			if (row_names(R, &rows[k], h[k], R->rows++) < 0)
				return -1;
		n = 0;
		view_passed(v, p);
	} while (r > 0);
	return r;
}

static int owner(const struct res *R, const char *s, size_t len)
{
	uint64_t h = igr_idtab_hash(s, len);
	return 1 + (int)((h >> 17) % (uint64_t)(R->size - 1));
}

/* Every rank's messages (SEND[r], LEN[r]) exchanged: RECV[r] what rank r
 * sent this one, its own bytes copied (so every rank's are in RECV). */
static int exchange(struct res *R, struct buf *send, struct buf *recv)
{
	const void **sp = calloc((size_t)R->size, sizeof *sp);
	uint64_t *len = calloc((size_t)R->size, sizeof *len);
	uint64_t *rlen = calloc((size_t)R->size, sizeof *rlen);
	void **rp = calloc((size_t)R->size, sizeof *rp);
	int r, rc = -1;

	if (sp == NULL || len == NULL || rlen == NULL || rp == NULL) {
		igr_error("out of memory");
		goto out;
	}
	for (r = 0; r < R->size; r++) {
		sp[r] = send[r].p;
		len[r] = send[r].n;
	}
	if (igr_par_alltoall(sp, len, rp, rlen) < 0)
		goto out;
	for (r = 0; r < R->size; r++) {
		free(recv[r].p);
		if (r == R->rank) {
			recv[r] = send[r];
			memset(&send[r], 0, sizeof send[r]);
		} else {
			recv[r].p = rp[r];
			recv[r].n = recv[r].cap = (size_t)rlen[r];
			rp[r] = NULL;
		}
	}
	for (r = 0; r < R->size; r++) {
		free(send[r].p);
		memset(&send[r], 0, sizeof send[r]);
	}
	rc = 0;
out:
	if (rp != NULL)
		for (r = 0; r < R->size; r++)
			free(rp[r]);
	free(sp);
	free(len);
	free(rlen);
	free(rp);
	return rc;
}

/* What an owner keeps of the names it owns. */
struct owned {
	igr_idtab *tab[3];   /* name -> unique index u */
	struct buf s[3];     /* the unique names, as sent to rank 0 */
	int *first[3];       /* u's first rank */
	uint32_t *id[3];     /* u's dense id (IGR_NONE: new, not yet) */
	uint8_t *known[3];   /* u was in the vocabulary */
	size_t n[3], cap[3], fcap[3], kcap[3];
	uint64_t **req;      /* rank r's requests: (t << 32 | u), in order */
	size_t *nreq, *rcap;
};

static void owned_free(struct owned *O, int size)
{
	int t, r;

	for (t = 0; t < 3; t++) {
		igr_idtab_free(O->tab[t]);
		free(O->s[t].p);
		free(O->first[t]);
		free(O->id[t]);
		free(O->known[t]);
	}
	if (O->req != NULL)
		for (r = 0; r < size; r++)
			free(O->req[r]);
	free(O->req);
	free(O->nreq);
	free(O->rcap);
}

/* Owner: the names of every rank (MSG[r]), their first ranks; the
 * unique ones into the message to rank 0 (TO0). */
static int own_names(struct res *R, struct owned *O, const struct buf *msg,
		     struct buf *to0)
{
	int r, t;

	for (t = 0; t < 3; t++)
		if ((O->tab[t] = igr_idtab_new()) == NULL)
			return -1;
	O->req = calloc((size_t)R->size, sizeof *O->req);
	O->nreq = calloc((size_t)R->size, sizeof *O->nreq);
	O->rcap = calloc((size_t)R->size, sizeof *O->rcap);
	if (O->req == NULL || O->nreq == NULL || O->rcap == NULL)
		return igr_error("out of memory");
	for (r = 1; r < R->size; r++) {
		const unsigned char *p = msg[r].p, *end = p + msg[r].n;
		const char *s;
		size_t len;
		int g;
		while ((g = get_name(&p, end, &t, &s, &len)) > 0) {
			uint64_t h = igr_idtab_hash(s, len);
			uint32_t u;
			if (!igr_idtab_find(O->tab[t], s, len, h, &u)) {
				u = (uint32_t)O->n[t];
				if (igr_grow(&O->first[t], &O->fcap[t],
					     O->n[t] + 1,
					     sizeof *O->first[t]) < 0 ||
				    igr_idtab_add(O->tab[t], s, len, h, u) < 0 ||
				    put_name(&O->s[t], t, s, len) < 0)
					return -1;
				O->first[t][u] = r;
				O->n[t]++;
			}
			if (igr_grow(&O->req[r], &O->rcap[r], O->nreq[r] + 1,
				     sizeof *O->req[r]) < 0)
				return -1;
			O->req[r][O->nreq[r]++] = (uint64_t)t << 32 | u;
		}
		if (g < 0)
			return -1;
	}
	/* to rank 0 by type, each in its order of u */
	for (t = 0; t < 3; t++)
		if (bput(to0, O->s[t].p, O->s[t].n) < 0)
			return -1;
	for (t = 0; t < 3; t++) {
		O->id[t] = malloc((O->n[t] + 1) * sizeof *O->id[t]);
		O->known[t] = calloc(O->n[t] + 1, 1);
		if (O->id[t] == NULL || O->known[t] == NULL)
			return igr_error("out of memory");
	}
	return 0;
}

/* Rank 0: each owner's unique names looked up; the ids (IGR_NONE: not
 * in the vocabulary) back, in the same order. */
static int look_up(struct res *R, const struct buf *msg, struct buf *reply)
{
	int r, t, g = 0;

	for (r = 1; r < R->size; r++) {
		const unsigned char *p = msg[r].p, *end = p + msg[r].n;
		const char *s;
		size_t len;
		while ((g = get_name(&p, end, &t, &s, &len)) > 0) {
			uint32_t id = igr_ingest_lookup(R->ig, t, s, len);
			if (bput(&reply[r], &id, 4) < 0)
				return -1;
		}
		if (g < 0)
			return -1;
	}
	return 0;
}

/* Owner: rank 0's answers into O's ids. */
static int take_lookups(struct owned *O, const struct buf *ans)
{
	size_t t, u, k = 0;

	for (t = 0; t < 3; t++)
		k += O->n[t];
	if (ans->n != k * 4)
		return igr_error("bad answer from rank 0 (an internal error)");
	k = 0;
	for (t = 0; t < 3; t++)
		for (u = 0; u < O->n[t]; u++, k++) {
			memcpy(&O->id[t][u], ans->p + k * 4, 4);
			O->known[t][u] = O->id[t][u] != IGR_NONE;
		}
	return 0;
}

/* Owner: to each rank, for each of its names in order, KNOWN and the
 * id, FIRST (this rank has it first) or LATER. */
static int tell_states(struct res *R, const struct owned *O,
		       struct buf *out)
{
	int r;
	size_t k;

	for (r = 1; r < R->size; r++)
		for (k = 0; k < O->nreq[r]; k++) {
			int t = (int)(O->req[r][k] >> 32);
			uint32_t u = (uint32_t)O->req[r][k];
			uint64_t code = O->known[t][u]
						? (uint64_t)O->id[t][u]
						: (uint64_t)(O->first[t][u] == r
								     ? FIRST
								     : LATER)
							  << 32;
			if (bput(&out[r], &code, 8) < 0)
				return -1;
		}
	return 0;
}

/* This rank's requests in the order sent to each owner: (t << 32 | i). */
struct reqs {
	uint64_t **q;
	size_t *n, *cap;
};

/* The names to their owners; the order kept in Q. */
static int send_names(struct res *R, struct buf *out, struct reqs *Q)
{
	int t;
	size_t i;

	for (t = 0; t < 3; t++)
		for (i = 0; i < R->nm[t].n; i++) {
			size_t len;
			const char *s = name_of(&R->nm[t], i, &len);
			int o = owner(R, s, len);
			if (put_name(&out[o], t, s, len) < 0 ||
			    igr_grow(&Q->q[o], &Q->cap[o], Q->n[o] + 1,
				     sizeof *Q->q[o]) < 0)
				return -1;
			Q->q[o][Q->n[o]++] = (uint64_t)t << 32 | i;
		}
	return 0;
}

/* The owners' states of this rank's names. */
static int take_states(struct res *R, const struct reqs *Q,
		       const struct buf *in)
{
	int o;
	size_t k;

	for (o = 1; o < R->size; o++) {
		if (in[o].n != Q->n[o] * 8)
			return igr_error("bad answer from rank %d (an internal "
					 "error)", o);
		for (k = 0; k < Q->n[o]; k++) {
			int t = (int)(Q->q[o][k] >> 32);
			size_t i = (uint32_t)Q->q[o][k];
			uint64_t code;
			memcpy(&code, in[o].p + k * 8, 8);
			R->nm[t].state[i] = (uint8_t)(code >> 32);
			R->nm[t].id[i] = (uint32_t)code;
		}
	}
	return 0;
}

/* Every rank's count of first-seen names to rank 0, which numbers them
 * on from the vocabulary in rank order: this rank's first id of each
 * type. */
static int number_first(struct res *R, uint64_t base[3])
{
	uint64_t c[3] = { 0, 0, 0 }, *all = NULL, *bases;
	size_t total, i;
	int t, r;

	for (t = 0; t < 3; t++)
		for (i = 0; i < R->nm[t].n; i++)
			c[t] += R->nm[t].state[i] == FIRST;
	if (igr_par_gather(c, sizeof c, (void **)&all, &total) < 0)
		return -1;
	bases = calloc((size_t)R->size * 3, sizeof *bases);
	if (bases == NULL) {
		free(all);
		return igr_error("out of memory");
	}
	if (R->rank == 0) {
		for (t = 0; t < 3; t++) {
			uint64_t next = igr_ingest_nids(R->ig, t);
			for (r = 0; r < R->size; r++) {
				bases[r * 3 + t] = next;
				next += all[r * 3 + t];
			}
			if (next >= IGR_NONE) {
				igr_error("the %s vocabulary is full",
					  igr_node_name(t));
				bases[t] = UINT64_MAX; /* tells the others */
			}
		}
	}
	free(all);
	if (igr_par_bcast(bases, (size_t)R->size * 3 * sizeof *bases) < 0) {
		free(bases);
		return -1;
	}
	for (t = 0; t < 3; t++) {
		if (bases[t] == UINT64_MAX) {
			free(bases);
			return R->rank == 0 ? -1
					    : igr_error("a vocabulary is full");
		}
		base[t] = bases[R->rank * 3 + t];
	}
	free(bases);
	for (t = 0; t < 3; t++) {
		uint64_t next = base[t];
		for (i = 0; i < R->nm[t].n; i++)
			if (R->nm[t].state[i] == FIRST)
				R->nm[t].id[i] = (uint32_t)next++;
	}
	return 0;
}

/* To each owner, the ids of this rank's first-seen names, in order. */
static int send_firsts(struct res *R, const struct reqs *Q, struct buf *out)
{
	int o;
	size_t k;

	for (o = 1; o < R->size; o++)
		for (k = 0; k < Q->n[o]; k++) {
			int t = (int)(Q->q[o][k] >> 32);
			size_t i = (uint32_t)Q->q[o][k];
			if (R->nm[t].state[i] == FIRST &&
			    bput(&out[o], &R->nm[t].id[i], 4) < 0)
				return -1;
		}
	return 0;
}

/* Owner: the first ranks' ids of the new names; to each rank the ids of
 * its names first seen on a rank before, in order. */
static int relay_firsts(struct res *R, struct owned *O, const struct buf *in,
			struct buf *out)
{
	int r;
	size_t k;

	for (r = 1; r < R->size; r++) {
		size_t j = 0;
		for (k = 0; k < O->nreq[r]; k++) {
			int t = (int)(O->req[r][k] >> 32);
			uint32_t u = (uint32_t)O->req[r][k];
			if (O->known[t][u] || O->first[t][u] != r)
				continue;
			if ((j + 1) * 4 > in[r].n)
				return igr_error("bad ids from rank %d (an "
						 "internal error)", r);
			memcpy(&O->id[t][u], in[r].p + j++ * 4, 4);
		}
		if (j * 4 != in[r].n)
			return igr_error("bad ids from rank %d (an internal "
					 "error)", r);
	}
	for (r = 1; r < R->size; r++)
		for (k = 0; k < O->nreq[r]; k++) {
			int t = (int)(O->req[r][k] >> 32);
			uint32_t u = (uint32_t)O->req[r][k];
			if (O->known[t][u] || O->first[t][u] == r)
				continue;
			if (bput(&out[r], &O->id[t][u], 4) < 0)
				return -1;
		}
	return 0;
}

/* The ids of this rank's names first seen before it. */
static int take_laters(struct res *R, const struct reqs *Q,
		       const struct buf *in)
{
	int o;
	size_t k;

	for (o = 1; o < R->size; o++) {
		size_t j = 0;
		for (k = 0; k < Q->n[o]; k++) {
			int t = (int)(Q->q[o][k] >> 32);
			size_t i = (uint32_t)Q->q[o][k];
			if (R->nm[t].state[i] != LATER)
				continue;
			if ((j + 1) * 4 > in[o].n)
				return igr_error("bad ids from rank %d (an "
						 "internal error)", o);
			memcpy(&R->nm[t].id[i], in[o].p + j++ * 4, 4);
		}
		if (j * 4 != in[o].n)
			return igr_error("bad ids from rank %d (an internal "
					 "error)", o);
	}
	return 0;
}

/* The new names to rank 0, in rank order, which appends them to the
 * vocabulary: each must get the id its rank gave it. */
static int append_vocab(struct res *R)
{
	struct buf b = { NULL, 0, 0 };
	void *all = NULL;
	size_t total = 0, i;
	int t, rc = 0;

	for (t = 0; t < 3 && rc == 0; t++)
		for (i = 0; i < R->nm[t].n && rc == 0; i++)
			if (R->nm[t].state[i] == FIRST) {
				size_t len;
				const char *s = name_of(&R->nm[t], i, &len);
				rc = put_name(&b, t, s, len);
			}
	if (igr_par_agree(rc) < 0 ||
	    igr_par_gather(b.p, b.n, &all, &total) < 0) {
		free(b.p);
		return -1;
	}
	free(b.p);
	if (R->rank == 0) {
		const unsigned char *p = all, *end = p + total;
		const char *s;
		size_t len;
		uint32_t want[3], id;
		int g;
		for (t = 0; t < 3; t++)
			want[t] = igr_ingest_nids(R->ig, t);
		while ((g = get_name(&p, end, &t, &s, &len)) > 0) {
			if (igr_ingest_intern(R->ig, t, s, len, &id) < 0) {
				rc = -1;
				break;
			}
			if (id != want[t]++) {
				rc = igr_error("the %s vocabulary out of step "
					       "with the ranks (an internal "
					       "error)", igr_node_name(t));
				break;
			}
		}
		if (g < 0)
			rc = -1;
	}
	free(all);
	return rc;
}

/* The ids of every name of this rank's rows (collective). */
static int resolve_ids(struct res *R)
{
	struct buf *a, *b;
	struct reqs Q = { NULL, NULL, NULL };
	struct owned O;
	uint64_t base[3];
	int rc = -1, r, owner_rank = R->rank > 0;
	size_t N = (size_t)R->size;

	memset(&O, 0, sizeof O);
	a = calloc(N, sizeof *a);
	b = calloc(N, sizeof *b);
	Q.q = calloc(N, sizeof *Q.q);
	Q.n = calloc(N, sizeof *Q.n);
	Q.cap = calloc(N, sizeof *Q.cap);
	if (a == NULL || b == NULL || Q.q == NULL || Q.n == NULL ||
	    Q.cap == NULL) {
		rc = igr_par_agree(igr_error("out of memory"));
		goto out;
	}
	/* names to owners */
	if (igr_par_agree(R->rank > 0 ? send_names(R, a, &Q) : 0) < 0 ||
	    exchange(R, a, b) < 0)
		goto out;
	/* owners' unique names to rank 0, its answers back */
	if (igr_par_agree(owner_rank ? own_names(R, &O, b, &a[0]) : 0) < 0 ||
	    exchange(R, a, b) < 0)
		goto out;
	if (igr_par_agree(R->rank == 0 ? look_up(R, b, a) : 0) < 0 ||
	    exchange(R, a, b) < 0)
		goto out;
	/* owners: each rank's names known, first or later */
	if (igr_par_agree(owner_rank ? (take_lookups(&O, &b[0]) < 0 ||
					tell_states(R, &O, a) < 0
						? -1 : 0)
				     : 0) < 0 ||
	    exchange(R, a, b) < 0)
		goto out;
	if (igr_par_agree(R->rank > 0 ? take_states(R, &Q, b) : 0) < 0 ||
	    number_first(R, base) < 0)
		goto out;
	/* the first ranks' ids through the owners to the later ones */
	if (igr_par_agree(R->rank > 0 ? send_firsts(R, &Q, a) : 0) < 0 ||
	    exchange(R, a, b) < 0)
		goto out;
	if (igr_par_agree(owner_rank ? relay_firsts(R, &O, b, a) : 0) < 0 ||
	    exchange(R, a, b) < 0)
		goto out;
	if (igr_par_agree(R->rank > 0 ? take_laters(R, &Q, b) : 0) < 0)
		goto out;
	rc = igr_par_agree(append_vocab(R));
out:
	owned_free(&O, R->size);
	for (r = 0; a != NULL && b != NULL && r < R->size; r++) {
		free(a[r].p);
		free(b[r].p);
		if (Q.q != NULL)
			free(Q.q[r]);
	}
	free(a);
	free(b);
	free(Q.q);
	free(Q.n);
	free(Q.cap);
	return rc;
}

/* Row I's event (ROW its entry): its names' dense ids. */
static void row_event(const struct res *R, const struct igr_ingest_logrow *row,
		      uint64_t i, igr_event *e)
{
	const uint32_t *lid = R->lid + 3 * i;

	memset(e, 0, sizeof *e);
	e->user = R->nm[0].id[lid[0]];
	e->item = R->nm[1].id[lid[1]];
	e->category = lid[2] == UINT32_MAX ? IGR_NONE : R->nm[2].id[lid[2]];
	e->behavior = (uint8_t)row->behavior;
	e->value = row->value;
}

/* The window D to rank PEER (NULL: this rank failed, which the next
 * one reports), or from rank PEER into a new window of size W (NULL on
 * failure, there or here): its size, the receiver's answer whether it
 * can take it, then its keys.  Every rank on the chain sends once and
 * receives once, failed or not, so none waits for ever. */
#define FAILED UINT64_MAX

static int send_window(int peer, const igr_dedup *d)
{
	uint64_t n = d != NULL ? igr_dedup_keys(d, NULL) : FAILED;
	unsigned char *k = d != NULL ? malloc(n * IGR_DEDUP_KEY + 1) : NULL;
	unsigned char ok = 0;
	struct igr_par_msg m = { peer, &n, sizeof n },
			   a = { peer, &ok, 1 };
	int rc;

	if (d != NULL && k == NULL)
		n = FAILED;
	rc = igr_par_exchange(&m, 1, NULL, 0);
	if (rc == 0 && n != FAILED) {
		igr_dedup_keys(d, k);
		m.p = k;
		m.n = n * IGR_DEDUP_KEY;
		rc = igr_par_exchange(NULL, 0, &a, 1);
		if (rc == 0 && ok)
			rc = igr_par_exchange(&m, 1, NULL, 0);
		else if (rc == 0)
			rc = igr_error("rank %d failed", peer);
	}
	free(k);
	if (d == NULL)
		return -1;
	return n == FAILED ? igr_error("out of memory") : rc;
}

static igr_dedup *recv_window(int peer, uint64_t w)
{
	uint64_t n = 0, i;
	unsigned char *k = NULL, ok;
	struct igr_par_msg m = { peer, &n, sizeof n },
			   a = { peer, &ok, 1 };
	igr_dedup *d = NULL;

	if (igr_par_exchange(NULL, 0, &m, 1) < 0)
		return NULL;
	if (n == FAILED)
		return igr_error("rank %d failed", peer), NULL;
	ok = n <= w && (k = malloc(n * IGR_DEDUP_KEY + 1)) != NULL &&
	     (d = igr_dedup_new(w)) != NULL;
	m.p = k;
	m.n = n * IGR_DEDUP_KEY;
	if (igr_par_exchange(&a, 1, NULL, 0) < 0 || !ok ||
	    igr_par_exchange(NULL, 0, &m, 1) < 0) {
		if (!ok && n > w)
			igr_error("bad window (an internal error)");
		else if (!ok && k == NULL)
			igr_error("out of memory (a window)");
		free(k);
		igr_dedup_free(d);
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (igr_dedup_check(d, k + i * IGR_DEDUP_KEY) != 0) {
			igr_dedup_free(d);
			free(k);
			return igr_error("bad window (an internal error)"),
			       NULL;
		}
	free(k);
	return d;
}

/* The speculative pass: every row decided from an empty window (bit i of
 * DUP: row i a duplicate), in batches whose slots are prefetched; the
 * window at the end in *SPEC. */
static int speculate(struct res *R, struct view *v, uint64_t w,
		     uint8_t *dup, igr_dedup **spec)
{
	const unsigned char *p = v->p, *end = v->p + v->len;
	struct igr_ingest_logrow row;
	unsigned char key[BATCH][IGR_DEDUP_KEY];
	uint32_t h[BATCH];
	igr_event e;
	uint64_t i = 0;
	size_t n = 0, k;
	int r;

	if ((*spec = igr_dedup_new(w)) == NULL)
		return -1;
	view_rewind(v);
	do {
		r = igr_ingest_log_next(&p, end, &row);
		if (r > 0 && row.tag != 'R')
			continue;
		if (r > 0) {
			row_event(R, &row, i + n, &e);
			igr_ingest_event_key(key[n], &e, row.ms);
			h[n] = igr_dedup_hash(key[n]);
			igr_dedup_prefetch(*spec, h[n], (unsigned)n);
			if (++n < BATCH)
				continue;
		}
		for (k = 0; k < n; k++, i++) {
			int d = igr_dedup_check_h(*spec, key[k], h[k]);
			if (d < 0)
				return -1;
			if (d)
				dup[i >> 3] |= (uint8_t)(1u << (i & 7));
		}
		n = 0;
		view_passed(v, p);
	} while (r > 0);
	return r;
}

/* The log rewritten with every row resolved: decided again from TRUEW
 * (the window at this rank's start) until W accepted rows in a row agree
 * with DUP (if any), then from DUP; the window at this rank's end (SPEC's then,
 * or TRUEW's) to rank NEXT (0: none) as soon as it is known (*SENT). */
static int rewrite(struct res *R, struct view *v, uint8_t *dup,
		   igr_dedup *truew, const igr_dedup *spec, int next,
		   int *sent)
{
	const unsigned char *p = v->p, *end = v->p + v->len;
	struct igr_ingest_logrow row;
	unsigned char key[IGR_DEDUP_KEY];
	igr_event e;
	uint64_t i = 0, run = 0, w = truew ? igr_dedup_window(truew) : 0;
	int r, done = truew == NULL;

	view_rewind(v);
	while ((r = igr_ingest_log_next(&p, end, &row)) > 0) {
		int d = 0;
		if (row.tag != 'R') {
			igr_ingest_log_copy(R->ig, &row);
			continue;
		}
		row_event(R, &row, i, &e);
		if (truew != NULL) {
			int s = dup != NULL ? dup[i >> 3] >> (i & 7) & 1 : -1;
			if (done) {
				d = s;
			} else if (igr_ingest_event_key(key, &e, row.ms),
				   (d = igr_dedup_check(truew, key)) < 0) {
				return -1;
			} else if (d != s) {
				run = 0;
			} else if (!d && ++run >= w) {
				done = 1;
				if (next > 0) {
					*sent = 1;
					if (send_window(next, spec) < 0)
						return -1;
				}
			}
		}
		igr_ingest_log_resolved(R->ig, &row, &e, d);
		if ((++i & 0xffff) == 0)
			view_passed(v, p);
	}
	if (r < 0)
		return -1;
	if (truew != NULL && !done && next > 0) {
		*sent = 1;
		if (send_window(next, truew) < 0)
			return -1;
	}
	return igr_ingest_log_ok(R->ig);
}

/* The rows' duplicates decided and the log rewritten (ranks > 0). */
static int resolve_rows(struct res *R, struct view *v)
{
	uint64_t w = igr_dedup_window(igr_ingest_window(R->ig));
	int next = R->rank + 1 < R->size ? R->rank + 1 : 0, sent = 0, rc;
	uint8_t *dup = NULL;
	igr_dedup *spec = NULL, *truew = NULL;

	if (w > 0) {
		/* fewer rows than the window can never agree on W of them:
		 * then the true pass decides them all, and no speculation */
		if (R->rows < w)
			rc = 0;
		else if ((dup = calloc((size_t)(R->rows / 8 + 1), 1)) == NULL)
			rc = igr_error("out of memory");
		else
			rc = speculate(R, v, w, dup, &spec);
		/* the window before is taken even after a failure here */
		truew = recv_window(R->rank - 1, w);
		if (rc == 0 && truew == NULL)
			rc = -1;
	} else {
		rc = 0;
	}
	if (rc == 0)
		rc = rewrite(R, v, dup, truew, spec, next, &sent);
	if (w > 0 && next > 0 && !sent)
		(void)send_window(next, NULL);
	free(dup);
	igr_dedup_free(spec);
	igr_dedup_free(truew);
	return rc;
}

int igr_ingest_resolve(igr_ingest *ig)
{
	struct res R;
	struct view v = { NULL, NULL, 0, 0 };
	void *mem = NULL;
	int fd = -1, t, rc = 0;

	memset(&R, 0, sizeof R);
	R.ig = ig;
	R.rank = igr_par_rank();
	R.size = igr_par_size();
	if (R.size < 2)
		return 0;
	for (t = 0; t < 3 && rc == 0; t++)
		if ((R.nm[t].tab = igr_idtab_new()) == NULL)
			rc = -1;
	if (rc == 0 && R.rank > 0 && igr_ingest_pseudonymizes(ig) &&
	    (R.raw = igr_idtab_new()) == NULL)
		rc = -1;
	if (R.rank == 0) {
		/* rank 0's rows all have their ids before the others ask */
		if (rc == 0)
			rc = igr_ingest_flush(ig);
	} else if (rc == 0) {
		uint64_t len;
		if (igr_ingest_log_detach(ig, &mem, &fd, &len) < 0 ||
		    (v.p = igr_ingest_log_view(mem, fd, len, &v.map)) ==
			    NULL) {
			rc = -1;
		} else {
			v.len = len;
			rc = collect(&R, &v);
		}
		for (t = 0; t < 3 && rc == 0; t++) {
			R.nm[t].id = malloc((R.nm[t].n + 1) *
					    sizeof *R.nm[t].id);
			R.nm[t].state = calloc(R.nm[t].n + 1, 1);
			if (R.nm[t].id == NULL || R.nm[t].state == NULL)
				rc = igr_error("out of memory");
		}
	}
	igr_par_step("ids");
	if (igr_par_agree(rc) < 0 || resolve_ids(&R) < 0) {
		rc = -1;
		goto out;
	}
	igr_par_step("duplicates");
	if (R.rank == 0) {
		rc = igr_dedup_window(igr_ingest_window(ig)) > 0
			     ? send_window(1, igr_ingest_window(ig))
			     : 0;
	} else {
		rc = resolve_rows(&R, &v);
	}
out:
	if (v.map != NULL)
		igr_ingest_log_unview(v.map, v.len);
	free(mem);
	if (fd >= 0)
		close(fd);
	for (t = 0; t < 3; t++) {
		igr_idtab_free(R.nm[t].tab);
		free(R.nm[t].s.p);
		free(R.nm[t].off);
		free(R.nm[t].id);
		free(R.nm[t].state);
	}
	igr_idtab_free(R.raw);
	free(R.lid);
	return rc;
}
