/*
 * models/seq.h - the behaviour-sequence model (igraph-train --model seq):
 * a causal self-attention encoder over each user's last L typed events
 * that predicts the next item (see seq.c).
 *
 * The network is exposed for the unit suite (tests/check_seq.c: the
 * gradient against finite differences) and the benchmark harness; the
 * tools use it through igr_seq_model (train.h) and igr_seq_ops (model.h).
 *
 * A batch is packed: sequence b's rows are OFF[b] .. OFF[b+1]-1 (at most
 * L of them, oldest first), row r holding the input item TOK[r] (< ni),
 * its behaviour BEH[r] and the item to predict TGT[r] (IGR_NONE: none).
 * The last row of a sequence sits at position L-1.
 *
 * Ownership: igr_seqnet_new() returns a network the caller frees with
 * igr_seqnet_free(); igr_seqnet_work_new() a workspace (activations of
 * one batch) freed with igr_seqnet_work_free(); one workspace per thread.
 */
#ifndef IGR_MODELS_SEQ_H
#define IGR_MODELS_SEQ_H

#include <stddef.h>
#include <stdint.h>

#include "learn.h"
#include "seqs.h"
#include "train.h"

#define IGR_SEQ_MAXBLOCKS 8

typedef struct igr_seqnet_cfg {
	uint32_t ni;      /* items (rows of the item embedding) */
	uint32_t d;       /* width */
	uint32_t L;       /* events read per user */
	uint32_t heads;   /* attention heads (divides d) */
	uint32_t blocks;  /* transformer blocks */
	uint32_t ffn;     /* inner width of the feed-forward layer */
} igr_seqnet_cfg;

typedef struct igr_seqnet {
	igr_seqnet_cfg c;
	size_t nparam;
	float *param;     /* every parameter, in one array (see seq.c) */
} igr_seqnet;

typedef struct igr_seqnet_work igr_seqnet_work;

/* A network of shape C with N(0, 0.02) weights from SEED (layer norms
 * 1 and 0, biases 0).  NULL with the error set. */
igr_seqnet *igr_seqnet_new(const igr_seqnet_cfg *c, uint64_t seed) IGR_WUR;
void igr_seqnet_free(igr_seqnet *n);

igr_seqnet_work *igr_seqnet_work_new(void) IGR_WUR;
void igr_seqnet_work_free(igr_seqnet_work *w);

/* Forward and backward pass of a batch: the mean over rows with a
 * target of the softmax cross-entropy over all NI items, *LOSS; GRAD
 * (nparam) receives its gradient (overwritten).  DROPOUT: the rate of
 * the hidden dropout (0: none), masks drawn from RNG.  0 or -1. */
int igr_seqnet_loss_grad(const igr_seqnet *n, igr_seqnet_work *w,
			 const uint32_t *tok, const uint8_t *beh,
			 const uint32_t *tgt, const uint32_t *off, size_t nseq,
			 double dropout, igr_rng *rng, double *loss,
			 float *grad) IGR_WUR;

/* The encoder's output at the last row of each sequence (no dropout):
 * OUT[b * d ..] for b < NSEQ.  0 or -1. */
int igr_seqnet_encode(const igr_seqnet *n, igr_seqnet_work *w,
		      const uint32_t *tok, const uint8_t *beh,
		      const uint32_t *off, size_t nseq, float *out) IGR_WUR;

/* Pack the sequences of users USERS[0..NU) of S into TOK/BEH/TGT/OFF
 * (room for NU * L rows).  TRAIN: inputs are events 1 .. m-1 of the last
 * min(m-1, L)+1 and targets the events after them (users with fewer than
 * two events get no rows); else the last L events with items below NI
 * are inputs, no targets.  Returns the rows. */
size_t igr_seqnet_pack(const igr_seqs *s, const uint32_t *users, size_t nu,
		       uint32_t L, uint32_t ni, int train, uint32_t *tok,
		       uint8_t *beh, uint32_t *tgt, uint32_t *off);

extern const struct igr_model_type igr_seq_model;
extern const struct igr_model_ops igr_seq_ops;

/* igraph-train --model seq: train on events stream R. */
igr_model *igr_train_seq(igr_reader *r, const struct igr_train_ctx *ctx);

#endif
