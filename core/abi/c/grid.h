/*
 * edge-grid ABI v1 kit for C (core/abi/README.md §1–§5, "Native kits"): one header, no other files.
 * It gives the module the ABI's exports (grid_abi_1, grid_alloc), the imports (grid.emit, grid.fail),
 * a msgpack reader for the input and a msgpack writer for outputs. Include it in exactly one .c file.
 *
 *   #include "grid.h"
 *   GRID_EXPORT(twice) {                       // void twice(const uint8_t *ptr, int32_t len)
 *     grid_reader in = grid_input(ptr, len);
 *     grid_writer *out = grid_output();
 *     grid_write_int(out, 2 * grid_read_int(&in));
 *     grid_emit(out, 0);                       // port 0
 *   }
 *
 * Build (wasi-libc gives malloc, memcpy, math; anything importing WASI, like printf, is refused by the host):
 *   clang --target=wasm32-wasi -O2 -nostartfiles -Wl,--no-entry -Wl,--import-memory -I core/abi/c -o f.wasm f.c
 *
 * Memory: the input block is malloc'd by grid_alloc and freed at the next grid_alloc; the one output writer
 * is reused (its buffer shrinks again after an output above 64 KiB). Free what else you malloc.
 * Failures: grid_fail("message") ends the call as a failed job; malformed input fails with a "msgpack: …" message.
 */
#ifndef EDGE_GRID_H
#define EDGE_GRID_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GRID_EXPORT(name) __attribute__((export_name(#name))) void name(const uint8_t *ptr, int32_t len)

__attribute__((import_module("grid"), import_name("emit"))) void grid_emit_raw(int32_t port, const void *ptr, int32_t len);
__attribute__((import_module("grid"), import_name("fail"))) _Noreturn void grid_fail_raw(const char *msg, int32_t len);

static inline _Noreturn void grid_fail(const char *msg) { grid_fail_raw(msg, (int32_t)strlen(msg)); }

/* ---- the ABI's exports ---- */

__attribute__((export_name("grid_abi_1"))) void grid_abi_1(void) {}

static uint8_t *grid_input_block;

__attribute__((export_name("grid_alloc"))) uint8_t *grid_alloc(int32_t size) {
  free(grid_input_block);
  grid_input_block = malloc(size > 0 ? (size_t)size : 1);
  if (grid_input_block == NULL) grid_fail("grid_alloc: out of memory for the input");
  return grid_input_block;
}

/* ---- reading the input (msgpack) ---- */

typedef struct { const uint8_t *p, *end; } grid_reader;

static inline grid_reader grid_input(const uint8_t *ptr, int32_t len) { grid_reader r = { ptr, ptr + len }; return r; }

static inline void grid_need(grid_reader *r, size_t n) { if ((size_t)(r->end - r->p) < n) grid_fail("msgpack: input ends in the middle of a value"); }
static inline uint64_t grid_be(grid_reader *r, int n) {
  grid_need(r, (size_t)n);
  uint64_t v = 0;
  for (int i = 0; i < n; i++) v = (v << 8) | *r->p++;
  return v;
}
static inline int grid_peek(grid_reader *r) { grid_need(r, 1); return *r->p; }

/* True when the next value is an integer (any width). */
static inline int grid_is_int(grid_reader *r) {
  int t = grid_peek(r);
  return t <= 0x7f || t >= 0xe0 || (t >= 0xcc && t <= 0xd3);
}

static inline double grid_read_float(grid_reader *r);

/* An integer; a float64 holding an exact integer is accepted too (core/abi/README.md §3). */
static inline int64_t grid_read_int(grid_reader *r) {
  int t = grid_peek(r);
  if (t <= 0x7f) { r->p++; return t; }
  if (t >= 0xe0) { r->p++; return (int8_t)t; }
  switch (t) {
    case 0xcc: r->p++; return (int64_t)grid_be(r, 1);
    case 0xcd: r->p++; return (int64_t)grid_be(r, 2);
    case 0xce: r->p++; return (int64_t)grid_be(r, 4);
    case 0xcf: { r->p++; uint64_t v = grid_be(r, 8); if (v > INT64_MAX) grid_fail("msgpack: uint64 above 2^63-1"); return (int64_t)v; }
    case 0xd0: r->p++; return (int8_t)grid_be(r, 1);
    case 0xd1: r->p++; return (int16_t)grid_be(r, 2);
    case 0xd2: r->p++; return (int32_t)grid_be(r, 4);
    case 0xd3: r->p++; return (int64_t)grid_be(r, 8);
    case 0xca: case 0xcb: {
      double d = grid_read_float(r);
      if (d != (double)(int64_t)d) grid_fail("msgpack: expected an integer, got a float with a fraction");
      return (int64_t)d;
    }
    default: grid_fail("msgpack: expected an integer");
  }
}

static inline double grid_read_float(grid_reader *r) {
  int t = grid_peek(r);
  if (t == 0xcb) { r->p++; uint64_t b = grid_be(r, 8); double d; memcpy(&d, &b, 8); return d; }
  if (t == 0xca) { r->p++; uint32_t b = (uint32_t)grid_be(r, 4); float f; memcpy(&f, &b, 4); return f; }
  if (grid_is_int(r)) return (double)grid_read_int(r);
  grid_fail("msgpack: expected a number");
}

/* An array header: returns the number of elements that follow. */
static inline uint32_t grid_read_array(grid_reader *r) {
  int t = grid_peek(r);
  if (t >= 0x90 && t <= 0x9f) { r->p++; return (uint32_t)(t & 0x0f); }
  if (t == 0xdc) { r->p++; return (uint32_t)grid_be(r, 2); }
  if (t == 0xdd) { r->p++; return (uint32_t)grid_be(r, 4); }
  grid_fail("msgpack: expected an array");
}

/* A string: returns a pointer into the input (not NUL-terminated) and its length in *len. */
static inline const char *grid_read_str(grid_reader *r, uint32_t *len) {
  int t = grid_peek(r);
  uint32_t n;
  if (t >= 0xa0 && t <= 0xbf) { r->p++; n = (uint32_t)(t & 0x1f); }
  else if (t == 0xd9) { r->p++; n = (uint32_t)grid_be(r, 1); }
  else if (t == 0xda) { r->p++; n = (uint32_t)grid_be(r, 2); }
  else if (t == 0xdb) { r->p++; n = (uint32_t)grid_be(r, 4); }
  else grid_fail("msgpack: expected a string");
  grid_need(r, n);
  const char *s = (const char *)r->p;
  r->p += n;
  *len = n;
  return s;
}

/* Fails unless the whole input was read. */
static inline void grid_finish(grid_reader *r) { if (r->p != r->end) grid_fail("msgpack: extra bytes after the input value"); }

/* ---- writing outputs (msgpack, smallest forms) ---- */

typedef struct { uint8_t *buf; size_t len, cap; } grid_writer;

static grid_writer grid_the_writer;

/* The one output writer, emptied. */
static inline grid_writer *grid_output(void) {
  if (grid_the_writer.cap > 65536) { free(grid_the_writer.buf); grid_the_writer.buf = NULL; grid_the_writer.cap = 0; }
  grid_the_writer.len = 0;
  return &grid_the_writer;
}

static inline uint8_t *grid_room(grid_writer *w, size_t n) {
  if (w->len + n > w->cap) {
    size_t cap = w->cap < 64 ? 64 : w->cap;
    while (cap < w->len + n) cap *= 2;
    uint8_t *buf = realloc(w->buf, cap);
    if (buf == NULL) grid_fail("grid: out of memory for an output");
    w->buf = buf;
    w->cap = cap;
  }
  uint8_t *p = w->buf + w->len;
  w->len += n;
  return p;
}
static inline void grid_put_be(grid_writer *w, int tag, uint64_t v, int n) {
  uint8_t *p = grid_room(w, (size_t)n + 1);
  p[0] = (uint8_t)tag;
  for (int i = n; i >= 1; i--) { p[i] = (uint8_t)v; v >>= 8; }
}

static inline void grid_write_nil(grid_writer *w) { *grid_room(w, 1) = 0xc0; }
static inline void grid_write_bool(grid_writer *w, int b) { *grid_room(w, 1) = b ? 0xc3 : 0xc2; }

static inline void grid_write_int(grid_writer *w, int64_t v) {
  if (v >= 0) {
    if (v <= 0x7f) *grid_room(w, 1) = (uint8_t)v;
    else if (v <= 0xff) grid_put_be(w, 0xcc, (uint64_t)v, 1);
    else if (v <= 0xffff) grid_put_be(w, 0xcd, (uint64_t)v, 2);
    else if (v <= 0xffffffffLL) grid_put_be(w, 0xce, (uint64_t)v, 4);
    else grid_put_be(w, 0xcf, (uint64_t)v, 8);
  } else {
    if (v >= -32) *grid_room(w, 1) = (uint8_t)(int8_t)v;
    else if (v >= -128) grid_put_be(w, 0xd0, (uint64_t)v, 1);
    else if (v >= -32768) grid_put_be(w, 0xd1, (uint64_t)v, 2);
    else if (v >= -2147483648LL) grid_put_be(w, 0xd2, (uint64_t)v, 4);
    else grid_put_be(w, 0xd3, (uint64_t)v, 8);
  }
}

static inline void grid_write_float(grid_writer *w, double d) { uint64_t b; memcpy(&b, &d, 8); grid_put_be(w, 0xcb, b, 8); }

static inline void grid_write_array(grid_writer *w, uint32_t n) {
  if (n <= 15) *grid_room(w, 1) = (uint8_t)(0x90 | n);
  else if (n <= 0xffff) grid_put_be(w, 0xdc, n, 2);
  else grid_put_be(w, 0xdd, n, 4);
}

static inline void grid_write_str(grid_writer *w, const char *s, uint32_t n) {
  if (n <= 31) *grid_room(w, 1) = (uint8_t)(0xa0 | n);
  else if (n <= 0xff) grid_put_be(w, 0xd9, n, 1);
  else if (n <= 0xffff) grid_put_be(w, 0xda, n, 2);
  else grid_put_be(w, 0xdb, n, 4);
  memcpy(grid_room(w, n), s, n);
}

static inline void grid_write_bin(grid_writer *w, const uint8_t *b, uint32_t n) {
  if (n <= 0xff) grid_put_be(w, 0xc4, n, 1);
  else if (n <= 0xffff) grid_put_be(w, 0xc5, n, 2);
  else grid_put_be(w, 0xc6, n, 4);
  memcpy(grid_room(w, n), b, n);
}

/* Sends what the writer holds as one output on `port`, and empties it. */
static inline void grid_emit(grid_writer *w, int32_t port) {
  grid_emit_raw(port, w->buf, (int32_t)w->len);
  w->len = 0;
}

#endif
