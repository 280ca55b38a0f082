/*
 * par.h - the one parallel layer: the same commands on several MPI ranks.
 *
 * A command built with MPI (make MPI=1, -DIGRAPH_MPI) enters MPI mode only
 * when a launcher started it, seen from the launcher's variables: Open
 * MPI's mpirun (OMPI_COMM_WORLD_SIZE), a PMI or PMIx launcher (PMI_SIZE,
 * PMI_RANK, PMIX_RANK; Slurm's srun --mpi=pmix or pmi2).  Run any other
 * way it never calls MPI_Init (a singleton MPI_Init costs about 0.6 s
 * with Open MPI 4.1 here), and every function below is then the serial case: rank 0 of 1,
 * collectives that return their input.  Built without MPI, the same calls
 * compile to those serial fallbacks; a launcher that started more than
 * one copy of such a build is an error, not N copies of the same output.
 *
 * How a parallel command works (igraph(7), "More than one machine"):
 * every rank reads the named input files itself (a shared file system);
 * only rank 0 reads standard input and passes its bytes on
 * (io.h igr_in_par); each rank does the work of a range of dense ids
 * balanced by edge count (igr_par_split); the output is written by rank 0
 * only, the records of rank r following those of rank r - 1, so the
 * stream is the serial one byte for byte (io.h igr_out_open_par(),
 * stream.h igr_writer_open_par()); an -o file is renamed into place only
 * after every rank reported success (igr_par_agree).  Written against the
 * plain MPI-3 C API (Open MPI 4.1, MPICH).
 *
 * Every collective below must be called by every rank in the same order.
 * Functions returning int return 0, or -1 with the error set (error.h);
 * the library never prints.  A stage passes each rank's status through
 * igr_par_agree() before its collectives (and an output's close does),
 * so that every rank fails together and the one that failed says why; a
 * rank that fails anywhere else cannot tell the others, which may be
 * waiting for it: the command ends the whole job (igr_par_abort).
 * Either way every rank exits non-zero.
 *
 * Bytes sent: every function counts the payload bytes this rank hands to
 * MPI (a broadcast counts once per receiving rank at the root, an
 * allreduce its buffer once); igr_par_bytes_sent() reads the counter.
 */
#ifndef IGR_PAR_H
#define IGR_PAR_H

#include <stddef.h>
#include <stdint.h>

#define IGR_PAR_WUR __attribute__((warn_unused_result))

/* ---- the run ---------------------------------------------------------- */

/* Start: when a launcher started this process, initialise MPI (a command
 * that runs on one rank only, PARALLEL = 0, accepts a launcher of one
 * process and refuses more).  Returns 0 (also when nothing was started),
 * or -1: more than one process for a serial command, a launcher without
 * PMI (srun --mpi=none), MPI absent from this build, MPI_Init failed. */
int igr_par_start(int parallel) IGR_PAR_WUR;

/* 1 if a launcher's variables are set (whether or not MPI started). */
int igr_par_launched(void);

/* This process's rank and the number of ranks (0 and 1 when serial). */
int igr_par_rank(void);
int igr_par_size(void);

/* End MPI mode normally (MPI_Finalize, collective); a no-op when serial
 * or already done.  0 or -1. */
int igr_par_finish(void);

/* End MPI mode after a failure.  When every rank fails alike (EVERYWHERE:
 * a usage error, the same on every rank) or already learnt of it (an
 * igr_par_agree() that returned -1), normally, as igr_par_finish(), and
 * the caller exits; otherwise MPI_Abort, which ends every rank of the job
 * with STATUS and does not return.  Nothing when no parallel run is
 * active. */
void igr_par_abort(int status, int everywhere);

/* 1 if the last failure was another rank's ("rank R failed", from
 * igr_par_agree() or igr_par_recv_parts()): that rank reports it, this
 * one need not. */
int igr_par_failed_elsewhere(void);

/* Payload bytes this rank has sent so far. */
uint64_t igr_par_bytes_sent(void);

/* Steps of a run, for the bytes sent per step: what is sent from now on
 * counts towards step NAME (a static string; the same steps in the same
 * order on every rank) until the next call.  At most IGR_PAR_MAXSTEP. */
#define IGR_PAR_MAXSTEP 8
void igr_par_step(const char *name);
/* The steps so far and this rank's bytes in each, in NAMES and BYTES
 * (IGR_PAR_MAXSTEP entries); returns their number. */
int igr_par_steps(const char **names, uint64_t *bytes);

/* ---- collectives ------------------------------------------------------ */

/* Every rank passes its status RC (0 or -1): returns 0 if all passed 0,
 * else -1, with the error "rank R failed" set on the ranks that passed
 * 0 (R: the lowest failed rank).  Serial: RC. */
int igr_par_agree(int rc) IGR_PAR_WUR;

/* Element-wise sums over the ranks, in place, of N values. */
int igr_par_sum_u64(uint64_t *v, size_t n) IGR_PAR_WUR;

/* The same for doubles and floats (their sums are in MPI's order, which
 * is not one rank's: the last bits may differ from a serial sum). */
int igr_par_sum_f64(double *v, size_t n) IGR_PAR_WUR;
int igr_par_sum_f32(float *v, size_t n) IGR_PAR_WUR;

/* Blocks of rows of V, UNIT floats a row, rank r's the rows [BOUNDS[r],
 * BOUNDS[r + 1]) (BOUNDS: size + 1 entries, BOUNDS[0] = 0, as
 * igr_par_split's): each rank's block to every rank, in place, in rounds
 * of about 4 MiB a rank (MPI counts are ints); counted once per
 * receiving rank. */
int igr_par_allgather_f32(float *v, const size_t *bounds,
			  size_t unit) IGR_PAR_WUR;

/* Rank 0's N bytes at P to every rank's P. */
int igr_par_bcast(void *p, size_t n) IGR_PAR_WUR;

/* Every rank's N bytes at P, concatenated in rank order, to rank 0: its
 * *ALL gets a new array (the caller frees it) of *TOTAL bytes; other
 * ranks get NULL and 0.  Any size (sent in pieces). */
int igr_par_gather(const void *p, size_t n, void **all,
		   size_t *total) IGR_PAR_WUR;

/* Every rank's value V to rank 0, in rank order, into OUT[0..size-1]
 * (rank 0 only; others may pass NULL). */
int igr_par_gather_u64(uint64_t v, uint64_t *out) IGR_PAR_WUR;

/* ---- point to point ---------------------------------------------------- */

/* A message: N bytes at P, to or from rank PEER. */
struct igr_par_msg {
	int peer;
	void *p;
	size_t n;
};

/* Send the NS messages SEND and receive the NR messages RECV, all at
 * once, and wait for every one.  Between two ranks the K-th message one
 * sends is the K-th the other receives, of the same size.  Any size (sent
 * in pieces).  Not collective: only the ranks named meet.  On one rank
 * there is no one to meet (NS and NR must be 0). */
int igr_par_exchange(const struct igr_par_msg *send, int ns,
		     const struct igr_par_msg *recv, int nr) IGR_PAR_WUR;

/* ---- all to all ------------------------------------------------------- */

/* Every rank's SEND[r] (LEN[r] bytes) to rank r, for every other rank
 * r: RECV[r] gets a new array (the caller frees it) of the RLEN[r] bytes
 * rank r sent this one; RECV and RLEN of this rank itself get NULL and 0
 * (its own bytes stay in SEND).  Any sizes (sent in pieces).  Serial:
 * nothing to send. */
int igr_par_alltoall(const void *const *send, const uint64_t *len,
		     void **recv, uint64_t *rlen) IGR_PAR_WUR;

/* ---- the parts of an output ------------------------------------------- */

/* Rank r > 0: send rank 0 its part of an output, LEN bytes that hold
 * RECORDS records, read from MEM or, when MEM is NULL, from the start of
 * the file FD.  STATUS -1 sends no bytes and tells rank 0 this rank
 * failed.  Pair with igr_par_recv_parts() on rank 0. */
int igr_par_send_part(int status, const void *mem, int fd, uint64_t len,
		      uint64_t records) IGR_PAR_WUR;

/* Rank 0: the parts of ranks 1 .. size-1, in rank order, handed to SINK
 * in pieces of a multiple of UNIT bytes (a record size; 1 for text);
 * *RECORDS gets the sum of their record counts.  -1 when SINK fails or a
 * rank sent STATUS -1 (after receiving every part, so every rank is
 * past its send). */
int igr_par_recv_parts(size_t unit,
		       int (*sink)(void *arg, const void *p, size_t n),
		       void *arg, uint64_t *records) IGR_PAR_WUR;

/* ---- ranges ----------------------------------------------------------- */

/* Cut N elements of weights W (in their order) into NPARTS contiguous
 * ranges of about equal weight: part r is [BOUNDS[r], BOUNDS[r + 1]),
 * BOUNDS has NPARTS + 1 entries, BOUNDS[0] = 0 and BOUNDS[NPARTS] = N.
 * Deterministic (integer arithmetic), so every rank computes the same. */
void igr_par_split(const uint64_t *w, size_t n, int nparts, size_t *bounds);

/* This rank's range of igr_par_split(W, N, size): [*LO, *HI). */
int igr_par_range(const uint64_t *w, size_t n, size_t *lo,
		  size_t *hi) IGR_PAR_WUR;

#endif
