{
  "targets": [
    {
      "target_name": "wsel_blas",
      "sources": ["src/wsel_blas.c"],
      "cflags": ["-O2", "-std=gnu11", "-Wall", "-Wextra"],
      "libraries": ["-lopenblas"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
