/*
 * ann_faiss.cpp - ann.h over FAISS's C++ API.
 *
 * The only C++ of the tree, and why: FAISS is a C++ library, and its C
 * API (c_api/, what DESIGN.md names) is a separate library that Debian
 * bookworm's libfaiss-dev 1.7.3 does not build: the headers are there but
 * libfaiss.a holds no *_c.o object.  Rather than vendoring that C API,
 * this file is the narrow C interface the library needs (ann.h: build,
 * search, write, read), with every FAISS exception turned into the
 * library's error (error.h).  It is compiled with g++ into libigr.a; the
 * commands link libfaiss.a, OpenBLAS (FAISS's sgemm_ and LAPACK), libstdc++
 * and OpenMP.
 */
#include "ann.h"

extern "C" {
#include "error.h"
}

#include <faiss/Index.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/HNSW.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>

struct igr_ann {
	faiss::Index *index;
	int type;
};

/* Vectors per add() call: the build reports progress between them. */
static const uint64_t ADD_CHUNK = 1 << 16;

/* FAISS's message without its "Error in FUNCTION at FILE:LINE:" prefix
 * when it has one: what the user can act on is after it. */
static int faiss_error(const char *what, const std::exception &e)
{
	const char *m = e.what(), *p = std::strstr(m, ": ");

	if (std::strncmp(m, "Error in ", 9) == 0 && p != nullptr)
		m = p + 2;
	return igr_error("faiss: %s: %s", what, m);
}

extern "C" int igr_ann_type_parse(const char *name)
{
	if (std::strcmp(name, "sq8") == 0)
		return IGR_ANN_IVF_SQ8;
	if (std::strcmp(name, "pq") == 0)
		return IGR_ANN_IVF_PQ;
	if (std::strcmp(name, "hnsw") == 0)
		return IGR_ANN_HNSW;
	if (std::strcmp(name, "flat") == 0)
		return IGR_ANN_FLAT;
	return -1;
}

extern "C" const char *igr_ann_type_name(int type)
{
	switch (type) {
	case IGR_ANN_IVF_SQ8:
		return "sq8";
	case IGR_ANN_IVF_PQ:
		return "pq";
	case IGR_ANN_HNSW:
		return "hnsw";
	case IGR_ANN_FLAT:
		return "flat";
	}
	return "unknown";
}

extern "C" uint32_t igr_ann_default_nlist(uint64_t n)
{
	double l = 4 * std::sqrt((double)n);
	uint64_t most = n / 39;

	if (l > (double)most)
		l = (double)most;
	return l < 1 ? 1 : (uint32_t)l;
}

/* A byte for about 4 dimensions.  Fewer bytes scan faster (a search
 * looks each byte up in a table of 256 floats a sub-vector, and beyond
 * about 32 tables they leave a core's L1 cache) but score more roughly:
 * measured (BENCHMARKS.md), gf's spectral form at dim 240 on the 100M
 * log kept its lists with 30 bytes (8 dimensions a byte) in half the CPU,
 * but at dim 512 on the 10M log 64 bytes lost 4.9% of recall@20 against
 * the exact lists where 128 lost none: so --bytes is the user's choice,
 * not the default. */
extern "C" uint32_t igr_ann_default_pq_bytes(uint32_t d)
{
	return d / 4 > 0 ? d / 4 : 1;
}

/* 64 lists, or fewer where the lists are long enough that 64 would scan
 * more than about PROBE_ITEMS items (at least 16): the candidates are
 * scored again exactly.  Measured on the 100M-event log (3.87M items,
 * 7,870 lists of 492; BENCHMARKS.md): mf served the same recall@20
 * through 32 probes as through 64 and as the exhaustive path, but 13%
 * less through 16; gf's spectral form the same through 16, 32 and 64. */
#define PROBE_ITEMS 16384

extern "C" uint32_t igr_ann_default_probes(uint64_t n, uint32_t nlist)
{
	double per = nlist > 0 ? (double)n / nlist : (double)n;
	double p = per > 0 ? PROBE_ITEMS / per : 64;

	if (p > 64)
		p = 64;
	if (p < 16)
		p = 16;
	return (uint32_t)p;
}

/* PQ sub-vectors for dimension D: the divisor of D nearest WANT (every
 * sub-vector the same width, as FAISS requires) */
static uint32_t pq_subvectors(uint32_t d, uint32_t want)
{
	uint32_t best = 1, m;

	for (m = 1; m <= d; m++)
		if (d % m == 0 && (best == 0 ||
				   std::abs((int)m - (int)want) <
					   std::abs((int)best - (int)want)))
			best = m;
	return best;
}

/* What every inverted file shares: it owns its coarse quantizer, whose
 * k-means runs on at most 64 points a list for 10 rounds (enough for the
 * lists to be useful, the search probes several, and a 4M-item catalogue
 * trains in minutes rather than the hour FAISS's defaults, 256 a list and
 * 25 rounds, would take), and it probes P->effort lists
 * (igr_ann_default_probes). */
static faiss::Index *ivf_setup(faiss::IndexIVF *ivf,
			       const struct igr_ann_params *p, uint64_t n,
			       uint32_t nlist)
{
	ivf->own_fields = true;
	ivf->cp.max_points_per_centroid = 64;
	ivf->cp.niter = 10;
	ivf->cp.seed = p->seed;
	ivf->nprobe = p->effort ? p->effort : igr_ann_default_probes(n, nlist);
	if (ivf->nprobe > nlist)
		ivf->nprobe = nlist;
	return ivf;
}

static faiss::Index *make_index(const struct igr_ann_params *p, uint64_t n,
				uint32_t d)
{
	switch (p->type) {
	case IGR_ANN_FLAT:
		return new faiss::IndexFlatIP(d);
	case IGR_ANN_IVF_SQ8: {
		uint32_t nlist = p->nlist ? p->nlist : igr_ann_default_nlist(n);
		std::unique_ptr<faiss::IndexFlatIP> q(
			new faiss::IndexFlatIP(d));
		auto *ivf = new faiss::IndexIVFScalarQuantizer(
			q.get(), d, nlist, faiss::ScalarQuantizer::QT_8bit,
			faiss::METRIC_INNER_PRODUCT);
		q.release();
		return ivf_setup(ivf, p, n, nlist);
	}
	case IGR_ANN_IVF_PQ: {
		/* product quantisation (Jegou et al., PAMI 2011): sub-vectors
		 * of about 4 dimensions (igr_ann_default_pq_bytes, or
		 * P->pq_bytes), 256 centroids each, so a code is a byte a
		 * sub-vector and its score a table lookup a byte (an eighth
		 * of sq8's bytes to scan at D = 64); the candidates are scored
		 * again exactly from the float vectors */
		uint32_t nlist = p->nlist ? p->nlist : igr_ann_default_nlist(n);
		uint32_t m = pq_subvectors(
			d, p->pq_bytes ? p->pq_bytes : igr_ann_default_pq_bytes(d));
		std::unique_ptr<faiss::IndexFlatIP> q(
			new faiss::IndexFlatIP(d));
		auto *ivf = new faiss::IndexIVFPQ(q.get(), d, nlist, m, 8,
						  faiss::METRIC_INNER_PRODUCT);
		q.release();
		ivf->pq.cp.seed = p->seed;
		ivf->pq.cp.niter = 10;
		/* FAISS prints a warning below 39 points a centroid; 256 is
		 * refused before (igr_ann_build) */
		ivf->pq.cp.min_points_per_centroid = 1;
		return ivf_setup(ivf, p, n, nlist);
	}
	case IGR_ANN_HNSW: {
		auto *h = new faiss::IndexHNSWFlat(
			d, p->hnsw_m ? (int)p->hnsw_m : 32,
			faiss::METRIC_INNER_PRODUCT);
		h->hnsw.efConstruction =
			p->ef_construction ? (int)p->ef_construction : 80;
		h->hnsw.efSearch = p->effort ? (int)p->effort : 128;
		return h;
	}
	}
	igr_error("unknown index type %d", p->type);
	return nullptr;
}

extern "C" igr_ann *igr_ann_build(const struct igr_ann_params *p,
				  const float *x, uint64_t n, uint32_t d)
{
	igr_ann *a;
	uint64_t i;

	if (d == 0)
		return igr_error("cannot index vectors of dimension 0"), nullptr;
	if ((p->type == IGR_ANN_IVF_SQ8 || p->type == IGR_ANN_IVF_PQ) && n < 39)
		return igr_error("an inverted file needs at least 39 vectors "
				 "(got %llu): use the exact path",
				 (unsigned long long)n),
		       nullptr;
	if (p->type == IGR_ANN_IVF_PQ && n < 256)
		return igr_error("pq needs at least 256 vectors to train its "
				 "codebooks (got %llu): use sq8 or the exact "
				 "path", (unsigned long long)n),
		       nullptr;
	a = new (std::nothrow) igr_ann;
	if (a == nullptr)
		return igr_error("out of memory"), nullptr;
	a->type = p->type;
	a->index = nullptr;
	try {
		a->index = make_index(p, n, d);
		if (a->index == nullptr) {
			delete a;
			return nullptr;
		}
		if (!a->index->is_trained)
			a->index->train((faiss::Index::idx_t)n, x);
		for (i = 0; i < n; i += ADD_CHUNK) {
			uint64_t c = n - i < ADD_CHUNK ? n - i : ADD_CHUNK;
			a->index->add((faiss::Index::idx_t)c, x + i * d);
			if (p->progress != nullptr)
				p->progress(p->arg, i + c, n);
		}
	} catch (const std::exception &e) {
		faiss_error("building the index", e);
		igr_ann_free(a);
		return nullptr;
	}
	return a;
}

extern "C" void igr_ann_free(igr_ann *a)
{
	if (a == nullptr)
		return;
	delete a->index;
	delete a;
}

extern "C" void igr_ann_describe(const igr_ann *a,
				 struct igr_ann_info *info)
{
	const faiss::Index *ix = a->index;

	std::memset(info, 0, sizeof *info);
	info->type = a->type;
	info->dim = (uint32_t)ix->d;
	info->n = (uint64_t)ix->ntotal;
	if (auto *ivf = dynamic_cast<const faiss::IndexIVF *>(ix)) {
		info->nlist = (uint32_t)ivf->nlist;
		info->effort = (uint32_t)ivf->nprobe;
		/* codes and ids, and the centroids */
		info->bytes = info->n * (ivf->code_size + 8) +
			      (uint64_t)ivf->nlist * ix->d * 4;
	} else if (auto *h = dynamic_cast<const faiss::IndexHNSW *>(ix)) {
		info->hnsw_m = (uint32_t)(h->hnsw.nb_neighbors(1));
		info->effort = (uint32_t)h->hnsw.efSearch;
		info->bytes = info->n * ix->d * 4 +
			      h->hnsw.neighbors.size() * sizeof(int32_t) +
			      h->hnsw.offsets.size() * sizeof(size_t);
	} else {
		info->bytes = info->n * ix->d * 4;
	}
}

extern "C" int igr_ann_search(const igr_ann *a, const float *q, uint64_t nq,
			      uint32_t k, uint32_t effort, float *scores,
			      int64_t *ids)
{
	static_assert(sizeof(faiss::Index::idx_t) == sizeof(int64_t),
		      "FAISS ids are 64-bit");
	try {
		faiss::Index::idx_t *lab =
			reinterpret_cast<faiss::Index::idx_t *>(ids);
		faiss::SearchParametersIVF ivf;
		faiss::SearchParametersHNSW hnsw;
		const faiss::SearchParameters *sp = nullptr;

		if (k == 0 || nq == 0)
			return 0;
		if (effort > 0 && (a->type == IGR_ANN_IVF_SQ8 ||
				   a->type == IGR_ANN_IVF_PQ)) {
			ivf.nprobe = effort;
			sp = &ivf;
		} else if (effort > 0 && a->type == IGR_ANN_HNSW) {
			hnsw.efSearch = (int)effort;
			sp = &hnsw;
		}
		a->index->search((faiss::Index::idx_t)nq, q, k, scores, lab,
				 sp);
	} catch (const std::exception &e) {
		return faiss_error("searching the index", e);
	}
	return 0;
}

namespace {

/* FAISS's writer over the caller's function. */
struct CallbackWriter : faiss::IOWriter {
	int (*fn)(void *, const void *, size_t);
	void *arg;
	bool failed = false;

	size_t operator()(const void *p, size_t size, size_t nitems) override
	{
		/* FAISS writes empty arrays from a NULL data(): nothing to
		 * pass on (the callbacks memcpy) */
		if (!failed && size * nitems == 0)
			return nitems;
		if (failed || fn(arg, p, size * nitems) < 0) {
			failed = true;
			return 0;
		}
		return nitems;
	}
};

/* FAISS's reader over bytes in memory. */
struct MemoryReader : faiss::IOReader {
	const unsigned char *p;
	size_t n, pos = 0;

	size_t operator()(void *out, size_t size, size_t nitems) override
	{
		size_t want, have = n - pos;

		if (size == 0)
			return 0;
		if (nitems > have / size)
			nitems = have / size;
		want = size * nitems;
		if (want == 0)
			return nitems;
		std::memcpy(out, p + pos, want);
		pos += want;
		return nitems;
	}
};

} // namespace

extern "C" int igr_ann_write(const igr_ann *a,
			     int (*write)(void *arg, const void *p, size_t n),
			     void *arg)
{
	CallbackWriter w;

	w.fn = write;
	w.arg = arg;
	try {
		faiss::write_index(a->index, &w);
	} catch (const std::exception &e) {
		if (w.failed) /* the writer's own error stands */
			return -1;
		return faiss_error("writing the index", e);
	}
	return w.failed ? -1 : 0;
}

extern "C" igr_ann *igr_ann_read(const void *buf, size_t n)
{
	MemoryReader r;
	faiss::Index *ix = nullptr;
	igr_ann *a;

	r.p = static_cast<const unsigned char *>(buf);
	r.n = n;
	try {
		ix = faiss::read_index(&r);
	} catch (const std::exception &e) {
		faiss_error("reading the index", e);
		return nullptr;
	}
	a = new (std::nothrow) igr_ann;
	if (a == nullptr) {
		delete ix;
		return igr_error("out of memory"), nullptr;
	}
	a->index = ix;
	if (dynamic_cast<faiss::IndexIVFScalarQuantizer *>(ix) != nullptr)
		a->type = IGR_ANN_IVF_SQ8;
	else if (dynamic_cast<faiss::IndexIVFPQ *>(ix) != nullptr)
		a->type = IGR_ANN_IVF_PQ;
	else if (dynamic_cast<faiss::IndexHNSWFlat *>(ix) != nullptr)
		a->type = IGR_ANN_HNSW;
	else if (dynamic_cast<faiss::IndexFlatIP *>(ix) != nullptr)
		a->type = IGR_ANN_FLAT;
	else {
		igr_ann_free(a);
		return igr_error("faiss: reading the index: not an index "
				 "igraph builds"),
		       nullptr;
	}
	if (ix->metric_type != faiss::METRIC_INNER_PRODUCT) {
		igr_ann_free(a);
		return igr_error("faiss: reading the index: not an inner-"
				 "product index"),
		       nullptr;
	}
	if (r.pos != n) {
		igr_ann_free(a);
		return igr_error("faiss: reading the index: %zu bytes after "
				 "it", n - r.pos),
		       nullptr;
	}
	return a;
}
