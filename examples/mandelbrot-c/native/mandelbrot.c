/*
 * One row of the Mandelbrot set per call, in C with the native ABI v1 kit (core/abi/c/grid.h): the same
 * algorithm, palette and output as examples/mandelbrot (AssemblyScript), pixel for pixel.
 * Input: y (an integer). Output on port 0: [y, rowBytes] (800 RGB pixels).
 *
 * Build: clang --target=wasm32-wasi -O2 -nostartfiles -Wl,--no-entry -Wl,--import-memory \
 *          -I ../../core/abi/c -o build/mandelbrot.wasm native/mandelbrot.c
 */
#include "grid.h"

#define WIDTH 800
#define MAX_ITER 256
static const double X0 = -2.2, Y0 = -1.2, STEP = 0.004;

/* Iterations before |z| > 2, at most MAX_ITER. */
static int escape_time(double cr, double ci) {
  double zr = 0.0, zi = 0.0;
  int i = 0;
  while (i < MAX_ITER) {
    double zr2 = zr * zr, zi2 = zi * zi;
    if (zr2 + zi2 > 4.0) break;
    zi = 2.0 * zr * zi + ci;
    zr = zr2 - zi2 + cr;
    i++;
  }
  return i;
}

GRID_EXPORT(render) {
  grid_reader in = grid_input(ptr, len);
  int64_t y = grid_read_int(&in);
  grid_finish(&in);
  double ci = Y0 + (double)y * STEP;
  static uint8_t row[WIDTH * 3];
  memset(row, 0, sizeof row); /* inside the set: black */
  for (int x = 0; x < WIDTH; x++) {
    int i = escape_time(X0 + (double)x * STEP, ci);
    if (i == MAX_ITER) continue;
    /* Bernstein-polynomial palette on t = sqrt(i / MAX_ITER): deep blue → orange → pale yellow. */
    double t = __builtin_sqrt((double)i / (double)MAX_ITER), u = 1.0 - t;
    row[x * 3] = (uint8_t)(int32_t)(9.0 * u * t * t * t * 255.0);
    row[x * 3 + 1] = (uint8_t)(int32_t)(15.0 * u * u * t * t * 255.0);
    row[x * 3 + 2] = (uint8_t)(int32_t)(8.5 * u * u * u * t * 255.0);
  }
  grid_writer *out = grid_output();
  grid_write_array(out, 2);
  grid_write_int(out, y);
  grid_write_bin(out, row, sizeof row);
  grid_emit(out, 0);
}
