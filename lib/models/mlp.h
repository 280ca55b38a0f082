/*
 * models/mlp.h - the purchase ranker: a multi-layer perceptron on pair features.
 *
 * igraph-train --model mlp reads a `features` stream (igraph-pairs) and
 * learns P(label | features) for the label behaviours chosen (default:
 * bought within the label period).  The network:
 *
 *   x  -> preprocessing: v = sign(x) ln(1 + |x|) (heavy-tailed counts,
 *         ages and scores made comparable), standardised with the mean
 *         and standard deviation of the training rows; a missing value
 *         (NaN, e.g. the age of something that never happened) becomes 0,
 *         the training mean.  Both are learned at training and stored in
 *         the model, so serving applies exactly the same transform.
 *   h_l = act(h_{l-1} W_l + b_l) for each hidden layer (relu, tanh or
 *         sigmoid), with inverted dropout while training;
 *   z   = h_L w + b (+ x v with `linear`: the wide and deep model of
 *         Cheng et al., DLRS 2016), p = sigmoid(z + offset).
 *
 * Loss: binary cross-entropy, positives weighted by pos_weight, plus
 * l2/2 ||W||^2 on the weights (not the biases).  Rare positives: every
 * negative is kept with probability neg_rate (negative sampling) and
 * positives may be up-weighted; both change the odds the network learns
 * by pos_weight / neg_rate, so the stored offset ln(neg_rate /
 * pos_weight) puts the output back on the scale of the full data (the
 * prior correction of King and Zeng, "Logistic Regression in Rare Events
 * Data", Political Analysis 9, 2001) and the probabilities stay
 * calibrated.  Optimiser: Adam (Kingma and Ba, ICLR 2015) on shuffled
 * mini-batches; every layer is one OpenBLAS cblas_sgemm per batch, forward
 * and backward.  Initialisation: He et al. (ICCV 2015) for relu, Glorot
 * and Bengio (AISTATS 2010) otherwise.  Early stopping: after each epoch
 * the AUC (or the log-loss) on a validation stream (a later cut) is
 * measured, the best parameters are kept, and training stops after
 * `patience` epochs without improvement.  The AUC is the default: the
 * ranker's use is ordering, and on the first days of the two Taobao logs
 * it chose better epochs than the log-loss.  The lists are judged per
 * user, so two grouped scores are offered too: the mean NDCG@20 of each
 * user's candidates in the network's order, and the mean per-user AUC.
 *
 * Determinism: the same seed, data and thread count give the same model
 * (OpenBLAS may sum in another order with another thread count).
 *
 * Ownership: igr_mlp_new()/igr_mlp_from_model() return a network the
 * caller frees with igr_mlp_free(); igr_mlp_to_model() returns a new
 * model (model.h).  A dataset from igr_mlp_data_read() is freed with
 * igr_mlp_data_free().
 */
#ifndef IGR_MODELS_MLP_H
#define IGR_MODELS_MLP_H

#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "model.h"
#include "stream.h"
#include "train.h"

#define IGR_MLP_MAXHIDDEN 8

enum igr_mlp_act { IGR_ACT_RELU = 0, IGR_ACT_TANH = 1, IGR_ACT_SIGMOID = 2 };

/* "relu", "tanh", "sigmoid"; parse returns -1 for anything else. */
const char *igr_mlp_act_name(int act);
int igr_mlp_act_parse(const char *s);

/* ---- the network ------------------------------------------------------- */

typedef struct igr_mlp {
	uint32_t nin;                          /* inputs (features) */
	uint32_t nlayers;                      /* weight layers: hidden + 1 */
	uint32_t size[IGR_MLP_MAXHIDDEN + 2];  /* size[0] = nin ... = 1 */
	int act;
	float dropout;                         /* hidden layers, training */
	size_t nparam;
	float *param;   /* W_0, b_0, W_1, b_1 ...; W_l is size[l] x
			   size[l+1], row-major */
	size_t *woff, *boff;                   /* offsets into param */
	float *mean, *std;                     /* nin: standardisation */
	double offset;                         /* logit correction */
	int linear;                            /* a linear term of the inputs
						  is added to the logit */
	size_t loff;                           /* its nin weights in param */
} igr_mlp;

/* A network of NIN inputs, hidden layers HIDDEN[0..NH), activation ACT,
 * with the linear term when LINEAR, initialised from SEED;
 * standardisation identity, offset 0. */
igr_mlp *igr_mlp_new(uint32_t nin, const uint32_t *hidden, uint32_t nh,
		     int act, int linear, uint64_t seed) IGR_WUR;
void igr_mlp_free(igr_mlp *n);

/* Preprocess raw features RAW (N x nin) into OUT (may be RAW): signed
 * log, then standardisation; NaN and infinities become 0. */
void igr_mlp_prepare(const igr_mlp *n, const float *raw, size_t rows,
		     float *out);

/* Probabilities of N preprocessed rows X into P (offset included). */
int igr_mlp_predict(const igr_mlp *n, const float *x, size_t rows,
		    float *p) IGR_WUR;

/* ---- one gradient evaluation (training, and the gradient check) -------- */

typedef struct igr_mlp_work igr_mlp_work;

/* Scratch space for batches of up to MAXROWS rows. */
igr_mlp_work *igr_mlp_work_new(const igr_mlp *n, size_t maxrows) IGR_WUR;
void igr_mlp_work_free(igr_mlp_work *w);

/*
 * Loss and gradient on one batch: X (N x nin, preprocessed), labels Y
 * (0/1), row weights C (NULL: 1).  Loss = (1/N) sum_i C_i [softplus(z_i)
 * - y_i z_i] + L2/2 sum W^2 (offset not applied: training sees the
 * sampled data).  With DROPOUT_SEED != 0 the hidden layers drop units
 * with probability n->dropout, masks drawn from that seed (the same seed
 * gives the same masks).  GRAD (nparam, may be NULL) receives dLoss /
 * dparam.  Returns the loss, or NaN on error (N > maxrows).
 */
double igr_mlp_loss_grad(const igr_mlp *n, igr_mlp_work *w, const float *x,
			 const float *y, const float *c, size_t rows,
			 double l2, uint64_t dropout_seed, float *grad);

/* ---- training ------------------------------------------------------------ */

typedef struct igr_mlp_data {
	uint32_t dim;
	size_t n, cap;
	float *x;        /* n x dim, raw until igr_mlp_prepare() */
	float *y;        /* n labels, 0/1 */
	uint32_t *user;  /* n pairs' users and items (NULL when the rows */
	uint32_t *item;  /* were built by hand: no grouped scores) */
	uint64_t seen;   /* records read */
	uint64_t pos;    /* positives kept (all of them) */
	uint64_t neg_seen;
	char *names;     /* the stream's "features" meta */
	char *meta_json; /* the stream's meta lines as a JSON object */
} igr_mlp_data;

/* Read a features stream R: rows with (label & LABEL_MASK) != 0 are
 * positives; each negative is kept with probability NEG_RATE (seeded by
 * SEED).  NULL on error. */
igr_mlp_data *igr_mlp_data_read(igr_reader *r, uint8_t label_mask,
				double neg_rate, uint64_t seed) IGR_WUR;
void igr_mlp_data_free(igr_mlp_data *d);

/* The cutoff of the grouped NDCG (the ranker's lists are judged at 20). */
#define IGR_MLP_NDCG_K 20

/* Early stopping's validation score. */
enum igr_mlp_stop {
	IGR_MLP_STOP_AUC = 0,     /* AUC over every pair */
	IGR_MLP_STOP_LOGLOSS = 1, /* log-loss over every pair */
	IGR_MLP_STOP_NDCG = 2,    /* grouped NDCG@IGR_MLP_NDCG_K */
	IGR_MLP_STOP_GAUC = 3,    /* grouped (per-user) AUC */
};

/* "auc", "logloss", "ndcg", "gauc"; parse returns -1 for anything else. */
const char *igr_mlp_stop_name(int stop);
int igr_mlp_stop_parse(const char *s);

typedef struct igr_mlp_status {
	uint32_t epoch, epochs;
	double loss;             /* mean training loss of the epoch */
	int validated;
	double valid_logloss, valid_auc;
	double valid_ndcg, valid_gauc; /* grouped: NaN without user ids,
					 * and in the epochs unless --stop
					 * is one of them */
	uint32_t best_epoch;
	double elapsed;          /* seconds */
	double rows_per_s;
} igr_mlp_status;

typedef struct igr_mlp_opts {
	uint32_t nhidden;
	uint32_t hidden[IGR_MLP_MAXHIDDEN];
	int act;
	int linear;          /* add a linear term of the inputs to the logit */
	double dropout;      /* 0 .. 0.9 */
	double l2;
	double lr;           /* Adam step */
	uint32_t batch;
	uint32_t epochs;
	uint32_t patience;   /* epochs without a better validation score */
	int stop;            /* enum igr_mlp_stop: the validation score */
	double neg_rate;     /* negatives kept (1: all) */
	double pos_weight;   /* positive rows' weight */
	uint8_t label_mask;  /* behaviours that make a positive */
	uint64_t seed;
	void (*progress)(void *ctx, const igr_mlp_status *st);
	void *progress_ctx;
} igr_mlp_opts;

/* Defaults: hidden 64,32, relu, no linear term, dropout 0.1, l2 1e-4, lr
 * 1e-3, batch 512, 30 epochs, patience 3 on the AUC, neg_rate 0.3,
 * pos_weight 5,
 * label buy, seed 1 (chosen on the first days of the two Taobao logs). */
void igr_mlp_opts_init(igr_mlp_opts *o);

/* Train on TRAIN (raw; standardisation fitted here and TRAIN prepared in
 * place), early stopping on VALID (raw, full data, may be NULL; prepared
 * in place).  Fills ST with the last epoch's status (may be NULL). */
igr_mlp *igr_mlp_train(igr_mlp_data *train, igr_mlp_data *valid,
		       const igr_mlp_opts *o, igr_mlp_status *st) IGR_WUR;

/* ---- model files ---------------------------------------------------------- */

/* A model "mlp": the network, its preprocessing and offset as arrays,
 * the feature names (must match at serving) and O in "params". */
igr_model *igr_mlp_to_model(const igr_mlp *n, const igr_mlp_opts *o,
			    const igr_mlp_data *train) IGR_WUR;
igr_mlp *igr_mlp_from_model(const igr_model *m) IGR_WUR;

/* The feature names the model was trained on ("a,b,c"), or NULL. */
const char *igr_mlp_model_features(const igr_model *m);

/* The serving ops (model.h): a ranker does not score users from a graph;
 * its prepare says so and points to igraph-recommend --rerank. */
extern const struct igr_model_type igr_mlp_model;
extern const struct igr_model_ops igr_mlp_ops;

/* igraph-train's trainer (train.h): reads the features stream R. */
struct igr_train_ctx;
igr_model *igr_train_mlp(igr_reader *r, const struct igr_train_ctx *ctx);
/* Its options checked before any input is read (-1: error set). */
int igr_check_mlp(const struct igr_train_ctx *ctx);

#endif
