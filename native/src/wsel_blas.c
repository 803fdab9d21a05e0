// wsel_blas: a Node-API addon that runs OpenBLAS's cblas_sgemm directly on the
// memory of the caller's Float32Arrays (no copies), synchronously on the calling thread.
//
// JS signature (row-major, offsets and leading dimensions in elements):
//   sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc)
//   sgemmBatched(count, strideA, strideB, strideC, <the 16 sgemm arguments>)
//   setThreads(n) -> threads now in use;  getThreads() -> threads in use
// Every index range is checked against the arrays' lengths before OpenBLAS sees a pointer,
// so a wrong argument throws a RangeError instead of corrupting memory.

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <node_api.h>
#include <cblas.h>

// OpenBLAS extensions; declared here too so the build does not depend on which
// cblas.h the system's alternatives point at.
extern void openblas_set_num_threads(int num_threads);
extern int openblas_get_num_threads(void);

#define MAX_ARGS 20

typedef struct {
  float* data;
  size_t length;  // elements
} f32view;

static bool throw_type(napi_env env, const char* msg) {
  napi_throw_type_error(env, NULL, msg);
  return false;
}

static bool throw_range(napi_env env, const char* msg) {
  napi_throw_range_error(env, NULL, msg);
  return false;
}

static bool get_bool(napi_env env, napi_value v, bool* out, const char* name) {
  char msg[96];
  if (napi_get_value_bool(env, v, out) != napi_ok) {
    snprintf(msg, sizeof msg, "wsel_blas: %s must be a boolean", name);
    return throw_type(env, msg);
  }
  return true;
}

static bool get_double(napi_env env, napi_value v, double* out, const char* name) {
  char msg[96];
  if (napi_get_value_double(env, v, out) != napi_ok) {
    snprintf(msg, sizeof msg, "wsel_blas: %s must be a number", name);
    return throw_type(env, msg);
  }
  return true;
}

// A non-negative integer that fits OpenBLAS's 32-bit int arguments.
static bool get_index(napi_env env, napi_value v, int64_t* out, const char* name) {
  double d;
  char msg[112];
  if (!get_double(env, v, &d, name)) return false;
  if (!(d >= 0) || d > 2147483647.0 || d != floor(d)) {
    snprintf(msg, sizeof msg, "wsel_blas: %s must be an integer in [0, 2^31)", name);
    return throw_range(env, msg);
  }
  *out = (int64_t)d;
  return true;
}

static bool get_f32(napi_env env, napi_value v, f32view* out, const char* name) {
  bool is_ta = false;
  napi_typedarray_type type;
  size_t length;
  void* data;
  char msg[96];
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_float32_array) {
    snprintf(msg, sizeof msg, "wsel_blas: %s must be a Float32Array", name);
    return throw_type(env, msg);
  }
  out->data = (float*)data;  // already advanced by the view's byteOffset
  out->length = length;
  return true;
}

// One operand of a (possibly batched) product: stored as rows x cols (after undoing the
// transpose flag) with leading dimension ld, starting at offset, repeated count times
// every stride elements. Checks that lies inside the array.
static bool check_operand(napi_env env, const char* name, const f32view* v, int64_t offset,
                          int64_t ld, int64_t rows, int64_t cols, int64_t count, int64_t stride) {
  char msg[160];
  if (rows == 0 || cols == 0 || count == 0) return true;  // nothing is read or written
  if (ld < cols) {
    snprintf(msg, sizeof msg, "wsel_blas: leading dimension of %s (%lld) is smaller than its row length (%lld)",
             name, (long long)ld, (long long)cols);
    return throw_range(env, msg);
  }
  // Largest index touched, in 64-bit arithmetic: no overflow for inputs below 2^31.
  int64_t last = offset + (count - 1) * stride + (rows - 1) * ld + (cols - 1);
  if ((uint64_t)last >= (uint64_t)v->length) {
    snprintf(msg, sizeof msg, "wsel_blas: %s is too short: index %lld needed, length %llu",
             name, (long long)last, (unsigned long long)v->length);
    return throw_range(env, msg);
  }
  return true;
}

typedef struct {
  bool transA, transB;
  int64_t m, n, k;
  double alpha, beta;
  f32view a, b, c;
  int64_t aOff, lda, bOff, ldb, cOff, ldc;
} gemm_args;

// Reads the 16 sgemm arguments starting at argv[0].
static bool read_gemm_args(napi_env env, napi_value* argv, gemm_args* g) {
  return get_bool(env, argv[0], &g->transA, "transA") &&
         get_bool(env, argv[1], &g->transB, "transB") &&
         get_index(env, argv[2], &g->m, "m") &&
         get_index(env, argv[3], &g->n, "n") &&
         get_index(env, argv[4], &g->k, "k") &&
         get_double(env, argv[5], &g->alpha, "alpha") &&
         get_f32(env, argv[6], &g->a, "a") &&
         get_index(env, argv[7], &g->aOff, "aOffset") &&
         get_index(env, argv[8], &g->lda, "lda") &&
         get_f32(env, argv[9], &g->b, "b") &&
         get_index(env, argv[10], &g->bOff, "bOffset") &&
         get_index(env, argv[11], &g->ldb, "ldb") &&
         get_double(env, argv[12], &g->beta, "beta") &&
         get_f32(env, argv[13], &g->c, "c") &&
         get_index(env, argv[14], &g->cOff, "cOffset") &&
         get_index(env, argv[15], &g->ldc, "ldc");
}

static bool check_gemm(napi_env env, const gemm_args* g, int64_t count, int64_t sA, int64_t sB, int64_t sC) {
  // op(A) is m x k: stored k x m when transposed. Likewise op(B) is k x n.
  return check_operand(env, "a", &g->a, g->aOff, g->lda, g->transA ? g->k : g->m, g->transA ? g->m : g->k, count, sA) &&
         check_operand(env, "b", &g->b, g->bOff, g->ldb, g->transB ? g->n : g->k, g->transB ? g->k : g->n, count, sB) &&
         check_operand(env, "c", &g->c, g->cOff, g->ldc, g->m, g->n, count, sC);
}

// C = beta * C for an empty inner dimension (or alpha == 0), where BLAS must not read A or B.
// beta == 0 writes zeros without reading C, so NaN garbage in C does not survive.
static void scale_c(float* c, int64_t m, int64_t n, int64_t ldc, float beta) {
  for (int64_t i = 0; i < m; i++) {
    float* row = c + i * ldc;
    if (beta == 0.0f) {
      for (int64_t j = 0; j < n; j++) row[j] = 0.0f;
    } else if (beta != 1.0f) {
      for (int64_t j = 0; j < n; j++) row[j] *= beta;
    }
  }
}

static void run_gemm(const gemm_args* g, int64_t count, int64_t sA, int64_t sB, int64_t sC) {
  if (g->m == 0 || g->n == 0) return;
  const float* a = g->a.data + g->aOff;
  const float* b = g->b.data + g->bOff;
  float* c = g->c.data + g->cOff;
  for (int64_t i = 0; i < count; i++) {
    if (g->k == 0 || g->alpha == 0.0) {
      scale_c(c + i * sC, g->m, g->n, g->ldc, (float)g->beta);
      continue;
    }
    cblas_sgemm(CblasRowMajor, g->transA ? CblasTrans : CblasNoTrans, g->transB ? CblasTrans : CblasNoTrans,
                (int)g->m, (int)g->n, (int)g->k, (float)g->alpha,
                a + i * sA, (int)g->lda, b + i * sB, (int)g->ldb,
                (float)g->beta, c + i * sC, (int)g->ldc);
  }
}

static bool get_args(napi_env env, napi_callback_info info, size_t want, napi_value* argv) {
  size_t argc = MAX_ARGS;
  char msg[80];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return throw_type(env, "wsel_blas: bad call");
  if (argc != want) {
    snprintf(msg, sizeof msg, "wsel_blas: expected %zu arguments, got %zu", want, argc);
    return throw_type(env, msg);
  }
  return true;
}

static napi_value Sgemm(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  gemm_args g;
  if (!get_args(env, info, 16, argv) || !read_gemm_args(env, argv, &g) || !check_gemm(env, &g, 1, 0, 0, 0)) return NULL;
  run_gemm(&g, 1, 0, 0, 0);
  return NULL;
}

static napi_value SgemmBatched(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  gemm_args g;
  int64_t count, sA, sB, sC;
  if (!get_args(env, info, 20, argv) ||
      !get_index(env, argv[0], &count, "count") || !get_index(env, argv[1], &sA, "strideA") ||
      !get_index(env, argv[2], &sB, "strideB") || !get_index(env, argv[3], &sC, "strideC") ||
      !read_gemm_args(env, argv + 4, &g) || !check_gemm(env, &g, count, sA, sB, sC)) {
    return NULL;
  }
  run_gemm(&g, count, sA, sB, sC);
  return NULL;
}

static napi_value int_value(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

static napi_value SetThreads(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  int64_t n;
  if (!get_args(env, info, 1, argv) || !get_index(env, argv[0], &n, "threads")) return NULL;
  if (n < 1) {
    throw_range(env, "wsel_blas: threads must be at least 1");
    return NULL;
  }
  openblas_set_num_threads((int)n);
  return int_value(env, openblas_get_num_threads());
}

static napi_value GetThreads(napi_env env, napi_callback_info info) {
  (void)info;
  return int_value(env, openblas_get_num_threads());
}

// NAPI_MODULE_INIT makes the addon context-aware, so it also loads in worker threads.
NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
    {"sgemm", NULL, Sgemm, NULL, NULL, NULL, napi_enumerable, NULL},
    {"sgemmBatched", NULL, SgemmBatched, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_enumerable, NULL},
    {"getThreads", NULL, GetThreads, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
