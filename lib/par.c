/* par.c - the parallel layer (see par.h). */
#include "par.h"
#include "error.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef IGRAPH_MPI
#include <mpi.h>
#endif

/* Pieces of a part or a gather: MPI counts are ints, and a bounded piece
 * keeps the receiver's buffer small. */
#define PIECE (1u << 20)

/* Pieces of the sums, in place (no buffer of ours), and the rounds of a
 * block exchange, per rank (a buffer of that much per rank): larger,
 * since every collective waits for the slowest rank, a scheduler's time
 * slice on a loaded machine (lightgcn's layers on Gowalla, 2 ranks on 2
 * busy cores: 585 s with pieces of 1 MiB) */
#define SUM_PIECE (1u << 24)
#define BLOCK_PIECE (1u << 22)

static int rank_, size_ = 1;
static int failed_elsewhere; /* the last failure was another rank's */

/* Bytes sent, in all and per step (igr_par_step; before the first one,
 * and past IGR_PAR_MAXSTEP of them, in none). */
static uint64_t sent;
static struct {
	const char *name;
	uint64_t bytes;
} steps[IGR_PAR_MAXSTEP];
static int nsteps, cur_step = -1;

void igr_par_step(const char *name)
{
	for (cur_step = 0; cur_step < nsteps; cur_step++)
		if (strcmp(steps[cur_step].name, name) == 0)
			return;
	if (nsteps == IGR_PAR_MAXSTEP) {
		cur_step = -1;
		return;
	}
	steps[nsteps].name = name;
	steps[nsteps].bytes = 0;
	cur_step = nsteps++;
}

int igr_par_steps(const char **names, uint64_t *bytes)
{
	int i;

	for (i = 0; i < nsteps; i++) {
		names[i] = steps[i].name;
		bytes[i] = steps[i].bytes;
	}
	return nsteps;
}

#ifdef IGRAPH_MPI
/* N more bytes sent. */
static void count(uint64_t n)
{
	sent += n;
	if (cur_step >= 0)
		steps[cur_step].bytes += n;
}
#endif

int igr_par_failed_elsewhere(void)
{
	return failed_elsewhere;
}

/* The launcher's process count: -1 not launched, 0 launched but the
 * count is not in the environment (PMIx), else the count. */
static long launched_size(void)
{
	static const char *const sizes[] = { "OMPI_COMM_WORLD_SIZE",
					     "PMI_SIZE" };
	static const char *const ranks[] = { "PMIX_RANK", "PMI_RANK" };
	const char *v;
	size_t i;

	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		if ((v = getenv(sizes[i])) != NULL && *v != '\0')
			return atol(v) > 0 ? atol(v) : 0;
	for (i = 0; i < sizeof ranks / sizeof ranks[0]; i++)
		if ((v = getenv(ranks[i])) != NULL && *v != '\0') {
			v = getenv("SLURM_STEP_NUM_TASKS");
			return v != NULL && atol(v) > 0 ? atol(v) : 0;
		}
	return -1;
}

/* srun without PMI (--mpi=none): its tasks cannot reach each other. */
static long srun_without_pmi(void)
{
	const char *step = getenv("SLURM_STEP_ID");
	const char *n = getenv("SLURM_STEP_NUM_TASKS");

	if (step == NULL || getenv("SLURM_PROCID") == NULL || n == NULL)
		return 0;
	return atol(n) > 1 ? atol(n) : 0;
}

int igr_par_launched(void)
{
	return launched_size() >= 0;
}

int igr_par_rank(void)
{
	return rank_;
}

int igr_par_size(void)
{
	return size_;
}

uint64_t igr_par_bytes_sent(void)
{
	return sent;
}

#ifdef IGRAPH_MPI

static int started; /* MPI_Init called and MPI_Finalize not yet */
static int agreed_failure; /* every rank knows that the run failed */

static int mpi_fail(const char *what, int code)
{
	char msg[MPI_MAX_ERROR_STRING];
	int len = 0;

	if (MPI_Error_string(code, msg, &len) != MPI_SUCCESS)
		len = 0;
	msg[len] = '\0';
	return igr_error("%s failed: %s", what, len ? msg : "MPI error");
}

#define MPI_CHECK(call, what)                                                \
	do {                                                                 \
		int code_ = (call);                                          \
		if (code_ != MPI_SUCCESS)                                    \
			return mpi_fail(what, code_);                        \
	} while (0)

/* MPI_Init and this process's place; N: the launcher's process count
 * (0: not known). */
static int mpi_start(int parallel, long n)
{
	int provided;

	/* MPI errors come back as return codes, not an abort inside MPI */
	MPI_CHECK(MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided),
		  "MPI_Init");
	started = 1;
	MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
	MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
	MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
	if (!parallel && size_ > 1)
		return igr_error("runs on one rank only (the launcher started "
				 "%d): run it without mpirun or srun", size_);
	/* an MPI that cannot reach the launcher's PMI starts singletons,
	 * each of which would write the whole output */
	if (n > 0 && n != size_)
		return igr_error("the launcher started %ld processes but MPI "
				 "sees %d: srun's --mpi must be one this MPI "
				 "speaks (--mpi=pmix for Open MPI)", n, size_);
	return 0;
}

int igr_par_finish(void)
{
	if (!started)
		return 0;
	started = 0;
	MPI_CHECK(MPI_Finalize(), "MPI_Finalize");
	return 0;
}

void igr_par_abort(int status, int everywhere)
{
	if (!started)
		return;
	if (agreed_failure || everywhere) {
		/* every rank is on its way out: no need to kill anyone */
		started = 0;
		MPI_Finalize();
		return;
	}
	MPI_Abort(MPI_COMM_WORLD, status);
}

int igr_par_agree(int rc)
{
	int mine = rc < 0 ? rank_ : INT_MAX, first;

	if (size_ == 1)
		return rc;
	count(sizeof mine);
	MPI_CHECK(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN,
				MPI_COMM_WORLD),
		  "MPI_Allreduce");
	if (first == INT_MAX)
		return 0;
	agreed_failure = 1;
	if (rc == 0) {
		igr_error("rank %d failed", first);
		failed_elsewhere = 1;
	}
	return -1;
}

/* Element-wise sums over the ranks, in place, of N values of SIZE bytes
 * and type T, in pieces: MPI counts are ints. */
static int sum_in_place(void *v, size_t n, size_t size, MPI_Datatype t)
{
	size_t per = SUM_PIECE / size, i;

	for (i = 0; size_ > 1 && i < n; i += per) {
		int m = (int)(n - i < per ? n - i : per);
		count((uint64_t)m * size);
		MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, (char *)v + i * size, m,
					t, MPI_SUM, MPI_COMM_WORLD),
			  "MPI_Allreduce");
	}
	return 0;
}

int igr_par_sum_u64(uint64_t *v, size_t n)
{
	return sum_in_place(v, n, sizeof *v, MPI_UINT64_T);
}

int igr_par_sum_f64(double *v, size_t n)
{
	return sum_in_place(v, n, sizeof *v, MPI_DOUBLE);
}

int igr_par_sum_f32(float *v, size_t n)
{
	return sum_in_place(v, n, sizeof *v, MPI_FLOAT);
}

/* The blocks of igr_par_allgather_f32 go
 * in rounds of at most ROWS rows a rank (about BLOCK_PIECE bytes): round
 * Q's counts (floats) and displacements into COUNTS and DISPLS, rank r's
 * rows from BOUNDS[r] + Q ROWS.  The rounds' number is returned by
 * block_rounds(). */
static size_t block_rows(size_t unit)
{
	size_t rows = BLOCK_PIECE / sizeof(float) / (unit ? unit : 1);

	return rows ? rows : 1;
}

static size_t block_rounds(const size_t *bounds, size_t unit)
{
	size_t most = 0, rows = block_rows(unit);
	int r;

	for (r = 0; r < size_; r++)
		if (bounds[r + 1] - bounds[r] > most)
			most = bounds[r + 1] - bounds[r];
	return (most + rows - 1) / rows;
}

static void block_round(const size_t *bounds, size_t unit, size_t q,
			int *counts, int *displs)
{
	size_t rows = block_rows(unit), off = 0;
	int r;

	for (r = 0; r < size_; r++) {
		size_t a = bounds[r] + q * rows, e = bounds[r + 1];

		if (a > e)
			a = e;
		if (e - a > rows)
			e = a + rows;
		counts[r] = (int)((e - a) * unit);
		displs[r] = (int)off;
		off += (e - a) * unit;
	}
}

/* The allgather of the row blocks of V, round by round through a packed
 * buffer. */
int igr_par_allgather_f32(float *v, const size_t *bounds, size_t unit)
{
	size_t rounds, q, rows = block_rows(unit);
	int *counts, *displs, r, rc = 0;
	float *tmp;

	if (size_ == 1)
		return 0;
	counts = malloc((size_t)size_ * sizeof *counts);
	displs = malloc((size_t)size_ * sizeof *displs);
	tmp = malloc((size_t)size_ * rows * unit * sizeof *tmp);
	if (counts == NULL || displs == NULL || tmp == NULL) {
		rc = igr_error("out of memory");
		goto out;
	}
	rounds = block_rounds(bounds, unit);
	for (q = 0; rc == 0 && q < rounds; q++) {
		int code;

		block_round(bounds, unit, q, counts, displs);
		memcpy(tmp + displs[rank_], v + (bounds[rank_] + q * rows) * unit,
		       (size_t)counts[rank_] * sizeof *tmp);
		count((uint64_t)counts[rank_] * sizeof *tmp *
		      (uint64_t)(size_ - 1));
		code = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, tmp,
				      counts, displs, MPI_FLOAT,
				      MPI_COMM_WORLD);
		if (code != MPI_SUCCESS) {
			rc = mpi_fail("MPI_Allgatherv", code);
			break;
		}
		for (r = 0; r < size_; r++)
			memcpy(v + (bounds[r] + q * rows) * unit,
			       tmp + displs[r], (size_t)counts[r] * sizeof *tmp);
	}
out:
	free(counts);
	free(displs);
	free(tmp);
	return rc;
}


enum { TAG_HEAD = 1, TAG_PIECE = 2, TAG_MSG = 3, TAG_SWAP = 4 };

/* Pieces of a point-to-point message: MPI counts are ints. */
#define MSG_PIECE ((size_t)1 << 30)

static size_t msg_pieces(const struct igr_par_msg *m, int n)
{
	size_t k = 0;
	int i;

	for (i = 0; i < n; i++)
		k += (m[i].n + MSG_PIECE - 1) / MSG_PIECE;
	return k;
}

int igr_par_exchange(const struct igr_par_msg *send, int ns,
		     const struct igr_par_msg *recv, int nr)
{
	size_t np = msg_pieces(send, ns) + msg_pieces(recv, nr), k = 0, off;
	MPI_Request *req;
	int i, code = MPI_SUCCESS;

	if (np == 0)
		return 0;
	req = malloc(np * sizeof *req);
	if (req == NULL)
		return igr_error("out of memory");
	/* receives first, so that the sends find them waiting */
	for (i = 0; i < nr; i++)
		for (off = 0; code == MPI_SUCCESS && off < recv[i].n;
		     off += MSG_PIECE) {
			size_t m = recv[i].n - off < MSG_PIECE
					   ? recv[i].n - off : MSG_PIECE;
			code = MPI_Irecv((char *)recv[i].p + off, (int)m,
					 MPI_BYTE, recv[i].peer, TAG_MSG,
					 MPI_COMM_WORLD, &req[k++]);
		}
	for (i = 0; i < ns; i++)
		for (off = 0; code == MPI_SUCCESS && off < send[i].n;
		     off += MSG_PIECE) {
			size_t m = send[i].n - off < MSG_PIECE
					   ? send[i].n - off : MSG_PIECE;
			count(m);
			code = MPI_Isend((char *)send[i].p + off, (int)m,
					 MPI_BYTE, send[i].peer, TAG_MSG,
					 MPI_COMM_WORLD, &req[k++]);
		}
	if (code == MPI_SUCCESS)
		code = MPI_Waitall((int)k, req, MPI_STATUSES_IGNORE);
	free(req);
	if (code != MPI_SUCCESS)
		return mpi_fail("MPI point-to-point", code);
	return 0;
}

int igr_par_bcast(void *p, size_t n)
{
	size_t i;

	if (size_ == 1)
		return 0;
	for (i = 0; i < n; i += PIECE) {
		int m = (int)(n - i < PIECE ? n - i : PIECE);
		if (rank_ == 0)
			count((uint64_t)m * (uint64_t)(size_ - 1));
		MPI_CHECK(MPI_Bcast((char *)p + i, m, MPI_BYTE, 0,
				    MPI_COMM_WORLD),
			  "MPI_Bcast");
	}
	return 0;
}

int igr_par_gather_u64(uint64_t v, uint64_t *out)
{
	if (size_ == 1) {
		if (out != NULL)
			out[0] = v;
		return 0;
	}
	if (rank_ != 0)
		count(sizeof v);
	MPI_CHECK(MPI_Gather(&v, 1, MPI_UINT64_T, out, 1, MPI_UINT64_T, 0,
			     MPI_COMM_WORLD),
		  "MPI_Gather");
	return 0;
}

int igr_par_alltoall(const void *const *send, const uint64_t *len,
		     void **recv, uint64_t *rlen)
{
	int s, r, rc = 0;

	for (r = 0; r < size_; r++) {
		recv[r] = NULL;
		rlen[r] = 0;
	}
	if (size_ == 1)
		return 0;
	count((uint64_t)(size_ - 1) * sizeof *len);
	MPI_CHECK(MPI_Alltoall(len, 1, MPI_UINT64_T, rlen, 1, MPI_UINT64_T,
			       MPI_COMM_WORLD),
		  "MPI_Alltoall");
	rlen[rank_] = 0;
	for (r = 0; r < size_; r++)
		if (r != rank_ && (recv[r] = malloc(rlen[r] ? rlen[r] : 1)) ==
					  NULL)
			rc = igr_error("out of memory");
	/* every rank must have its room before any bytes travel */
	if (igr_par_agree(rc) < 0) {
		for (r = 0; r < size_; r++) {
			free(recv[r]);
			recv[r] = NULL;
		}
		return -1;
	}
	/* step S: to rank + S, from rank - S; piece K of a step meets piece
	 * K of its partner's, so no rank waits on one that waits on it */
	for (s = 1; rc == 0 && s < size_; s++) {
		int to = (rank_ + s) % size_;
		int from = (rank_ - s + size_) % size_;
		const char *sp = send[to];
		char *rp = recv[from];
		uint64_t so = 0, ro = 0, sn = len[to], rn = rlen[from];

		while (rc == 0 && (so < sn || ro < rn)) {
			int ns = (int)(sn - so < PIECE ? sn - so : PIECE);
			int nr = (int)(rn - ro < PIECE ? rn - ro : PIECE);
			int code;

			count((uint64_t)ns);
			if (ns > 0 && nr > 0)
				code = MPI_Sendrecv(sp + so, ns, MPI_BYTE, to,
						    TAG_SWAP, rp + ro, nr,
						    MPI_BYTE, from, TAG_SWAP,
						    MPI_COMM_WORLD,
						    MPI_STATUS_IGNORE);
			else if (ns > 0)
				code = MPI_Send(sp + so, ns, MPI_BYTE, to,
						TAG_SWAP, MPI_COMM_WORLD);
			else
				code = MPI_Recv(rp + ro, nr, MPI_BYTE, from,
						TAG_SWAP, MPI_COMM_WORLD,
						MPI_STATUS_IGNORE);
			if (code != MPI_SUCCESS)
				rc = mpi_fail("MPI_Sendrecv", code);
			so += (uint64_t)ns;
			ro += (uint64_t)nr;
		}
	}
	if (rc < 0)
		for (r = 0; r < size_; r++) {
			free(recv[r]);
			recv[r] = NULL;
		}
	return rc;
}

int igr_par_send_part(int status, const void *mem, int fd, uint64_t len,
		      uint64_t records)
{
	uint64_t head[3] = { status < 0 ? 1 : 0, status < 0 ? 0 : len,
			     records };
	char *buf = NULL;
	uint64_t off;
	int rc = 0;

	if (size_ == 1 || rank_ == 0)
		return 0;
	/* the buffer before the header: rank 0 waits for every piece the
	 * header announces */
	if (mem == NULL && head[1] > 0 && (buf = malloc(PIECE)) == NULL) {
		rc = igr_error("out of memory");
		head[0] = 1;
		head[1] = 0;
	}
	count(sizeof head);
	MPI_CHECK(MPI_Send(head, 3, MPI_UINT64_T, 0, TAG_HEAD, MPI_COMM_WORLD),
		  "MPI_Send");
	for (off = 0; off < head[1]; off += PIECE) {
		size_t m = head[1] - off < PIECE ? (size_t)(head[1] - off)
						 : PIECE;
		const void *p = (const char *)mem + off;
		int code;
		if (rc == 0 && mem == NULL) {
			ssize_t got = pread(fd, buf, m, (off_t)off);
			if (got != (ssize_t)m)
				rc = igr_syserror("cannot read back this "
						  "rank's part");
			p = buf;
		}
		if (rc < 0) {
			/* rank 0 still waits for a message a piece: empty
			 * ones tell it this part failed (a short piece) */
			m = 0;
			p = buf;
		}
		count(m);
		code = MPI_Send(p, (int)m, MPI_BYTE, 0, TAG_PIECE,
				MPI_COMM_WORLD);
		if (code != MPI_SUCCESS && rc == 0)
			rc = mpi_fail("MPI_Send", code);
	}
	free(buf);
	return rc;
}

int igr_par_recv_parts(size_t unit,
		       int (*sink)(void *arg, const void *p, size_t n),
		       void *arg, uint64_t *records)
{
	/* pieces are PIECE bytes; a record cut by a piece waits in CARRY */
	unsigned char *buf, *carry;
	size_t ncarry = 0;
	int r, rc = 0, failed = -1;

	*records = 0;
	if (size_ == 1 || rank_ != 0)
		return 0;
	if (unit == 0 || unit > PIECE)
		return igr_error("internal error: record size %zu", unit);
	buf = malloc(PIECE);
	carry = malloc(unit);
	if (buf == NULL || carry == NULL) {
		free(buf);
		free(carry);
		return igr_error("out of memory");
	}
	for (r = 1; r < size_; r++) {
		uint64_t head[3], off;
		int code = MPI_Recv(head, 3, MPI_UINT64_T, r, TAG_HEAD,
				    MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		if (code != MPI_SUCCESS) {
			rc = mpi_fail("MPI_Recv", code);
			break;
		}
		if (head[0] != 0 && failed < 0)
			failed = r;
		*records += head[2];
		for (off = 0; off < head[1]; off += PIECE) {
			size_t m = head[1] - off < PIECE
					   ? (size_t)(head[1] - off)
					   : PIECE, whole, lead = 0;
			MPI_Status st;
			int got = 0;
			code = MPI_Recv(buf, (int)m, MPI_BYTE, r, TAG_PIECE,
					MPI_COMM_WORLD, &st);
			if (code != MPI_SUCCESS) {
				rc = mpi_fail("MPI_Recv", code);
				goto out;
			}
			if (MPI_Get_count(&st, MPI_BYTE, &got) != MPI_SUCCESS ||
			    got != (int)m) {
				/* a short piece: the sender failed part-way
				 * (it says why); take the rest, keep nothing */
				if (failed < 0)
					failed = r;
				if (rc == 0)
					rc = -2;
			}
			if (rc < 0)
				continue; /* a failure: drain the rest */
			if (ncarry > 0) {
				lead = unit - ncarry < m ? unit - ncarry : m;
				memcpy(carry + ncarry, buf, lead);
				ncarry += lead;
				if (ncarry == unit) {
					rc = sink(arg, carry, unit);
					ncarry = 0;
				}
			}
			whole = (m - lead) / unit * unit;
			if (rc == 0 && whole > 0)
				rc = sink(arg, buf + lead, whole);
			memcpy(carry + ncarry, buf + lead + whole,
			       m - lead - whole);
			ncarry += m - lead - whole;
		}
		/* each part whole records: one cut short is not completed
		 * with the next rank's bytes */
		if (rc == 0 && ncarry > 0)
			rc = igr_error("rank %d's part of the output ended "
				       "inside a record", r);
	}
out:
	free(buf);
	free(carry);
	if (rc == -2)
		rc = 0; /* a short piece: its rank failed, said below */
	if (rc == 0 && failed > 0) {
		rc = igr_error("rank %d failed", failed);
		failed_elsewhere = 1;
	}
	return rc;
}

#else /* serial build */

int igr_par_finish(void)
{
	return 0;
}

void igr_par_abort(int status, int everywhere)
{
	(void)status;
	(void)everywhere;
}

int igr_par_agree(int rc)
{
	return rc;
}

int igr_par_sum_u64(uint64_t *v, size_t n)
{
	(void)v;
	(void)n;
	return 0;
}

int igr_par_sum_f64(double *v, size_t n)
{
	(void)v;
	(void)n;
	return 0;
}

int igr_par_sum_f32(float *v, size_t n)
{
	(void)v;
	(void)n;
	return 0;
}

int igr_par_allgather_f32(float *v, const size_t *bounds, size_t unit)
{
	(void)v;
	(void)bounds;
	(void)unit;
	return 0;
}

int igr_par_bcast(void *p, size_t n)
{
	(void)p;
	(void)n;
	return 0;
}

int igr_par_exchange(const struct igr_par_msg *send, int ns,
		     const struct igr_par_msg *recv, int nr)
{
	(void)send;
	(void)recv;
	if (ns > 0 || nr > 0)
		return igr_error("internal error: messages on one rank");
	return 0;
}

int igr_par_gather_u64(uint64_t v, uint64_t *out)
{
	if (out != NULL)
		out[0] = v;
	return 0;
}

int igr_par_alltoall(const void *const *send, const uint64_t *len,
		     void **recv, uint64_t *rlen)
{
	(void)send;
	(void)len;
	recv[0] = NULL;
	rlen[0] = 0;
	return 0;
}

int igr_par_send_part(int status, const void *mem, int fd, uint64_t len,
		      uint64_t records)
{
	(void)status;
	(void)mem;
	(void)fd;
	(void)len;
	(void)records;
	return 0;
}

int igr_par_recv_parts(size_t unit,
		       int (*sink)(void *arg, const void *p, size_t n),
		       void *arg, uint64_t *records)
{
	(void)unit;
	(void)sink;
	(void)arg;
	*records = 0;
	return 0;
}

#endif

/* ---- built on the above: the same with and without MPI ---------------- */

int igr_par_start(int parallel)
{
	long n = launched_size(), none = srun_without_pmi();

	if (n < 0 && none > 0)
		return igr_error("srun started %ld tasks without PMI, which "
				 "cannot reach each other: use srun "
				 "--mpi=pmix", none);
	if (n < 0 || (!parallel && n == 1))
		return 0;
#ifdef IGRAPH_MPI
	return mpi_start(parallel, n);
#else
	if (n == 1)
		return 0;
	return igr_error("started by an MPI launcher (%s processes) but "
			 "built without MPI: build with make MPI=1",
			 n > 1 ? "several" : "an unknown number of");
#endif
}

struct membuf {
	unsigned char *p;
	size_t n;
	int failed; /* no room: the bytes are dropped */
};

static int mem_sink(void *arg, const void *p, size_t n)
{
	struct membuf *m = arg;

	if (!m->failed) {
		memcpy(m->p + m->n, p, n);
		m->n += n;
	}
	return 0;
}

int igr_par_gather(const void *p, size_t n, void **all, size_t *total)
{
	uint64_t *sizes = NULL, sum = 0, recs;
	struct membuf m = { NULL, 0, 0 };
	int r, rc;

	*all = NULL;
	*total = 0;
	/* rank 0 learns the sizes first, so that it allocates once; without
	 * room for them every rank gives up together (MPI_Gather cannot
	 * receive into nothing) */
	if (rank_ == 0 && (sizes = malloc((size_t)size_ * sizeof *sizes)) ==
				  NULL)
		rc = igr_error("out of memory");
	else
		rc = 0;
	if (igr_par_agree(rc) < 0) {
		free(sizes);
		return -1;
	}
	if (igr_par_gather_u64(n, sizes) < 0) {
		free(sizes);
		return -1;
	}
	if (rank_ != 0)
		return igr_par_send_part(0, p, -1, n, 0);
	for (r = 0; r < size_; r++)
		sum += sizes[r];
	free(sizes);
	if (!m.failed && (m.p = malloc(sum ? (size_t)sum : 1)) == NULL)
		m.failed = 1;
	if (n > 0)
		mem_sink(&m, p, n);
	/* without room rank 0 still receives, so the senders finish */
	rc = igr_par_recv_parts(1, mem_sink, &m, &recs);
	if (rc == 0 && m.failed)
		rc = igr_error("out of memory");
	if (rc < 0) {
		free(m.p);
		return -1;
	}
	*all = m.p;
	*total = m.n;
	return 0;
}

void igr_par_split(const uint64_t *w, size_t n, int nparts, size_t *bounds)
{
	unsigned __int128 total = 0, cum = 0;
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		total += w[i];
	bounds[0] = 0;
	i = 0;
	for (r = 1; r < nparts; r++) {
		/* the first element whose preceding weight reaches r/nparts
		 * of the total */
		unsigned __int128 target =
			total * (unsigned)r / (unsigned)nparts;
		while (i < n && cum < target)
			cum += w[i++];
		bounds[r] = i;
	}
	bounds[nparts] = n;
}

int igr_par_range(const uint64_t *w, size_t n, size_t *lo, size_t *hi)
{
	size_t *b = malloc(((size_t)size_ + 1) * sizeof *b);

	if (b == NULL)
		return igr_error("out of memory");
	igr_par_split(w, n, size_, b);
	*lo = b[rank_];
	*hi = b[rank_ + 1];
	free(b);
	return 0;
}
