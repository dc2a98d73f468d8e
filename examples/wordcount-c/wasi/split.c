/*
 * Word count's split, in C as a WASI command ("abi": "wasi", "io": "json"; core/abi/README.md).
 * stdin: one line of JSON, a string (the text line). Outputs, one JSON value per line:
 *   stdout (port 0, "out"):  ["word",1] for every word
 *   fd 3   (port 1, "total"): ["words",n] once, n = words in the line
 * Word rule (the same as examples/wordcount): a maximal run of ASCII letters and ', without apostrophes at
 * either end, lowercased; every other character separates words.
 *
 * Build: clang --target=wasm32-wasi -O2 -o build/split.wasm wasi/split.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PORT_TOTAL_FD 3 /* output port k > 0 is fd k + 2 */

static int is_word_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '\'';
}

static int hex(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes the JSON string at `in` into `out` (ASCII kept, anything non-ASCII becomes a space: a separator). */
static size_t decode_json_string(const char *in, char *out) {
  size_t n = 0;
  if (*in++ != '"') { fputs("split: expected a JSON string on stdin\n", stderr); exit(2); }
  while (*in && *in != '"') {
    int c = (unsigned char)*in++;
    if (c == '\\') {
      c = (unsigned char)*in++;
      switch (c) {
        case 'n': c = '\n'; break;
        case 't': c = '\t'; break;
        case 'r': c = '\r'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'u': {
          int v = 0;
          for (int k = 0; k < 4; k++) {
            int h = hex((unsigned char)*in++);
            if (h < 0) { fputs("split: bad \\u escape\n", stderr); exit(2); }
            v = v * 16 + h;
          }
          c = v < 128 ? v : ' ';
          break;
        }
        default: break; /* \" \\ \/ stand for themselves */
      }
    } else if (c >= 128) {
      c = ' ';
    }
    out[n++] = (char)c;
  }
  out[n] = 0;
  return n;
}

int main(void) {
  static char json[1 << 16], line[1 << 16];
  size_t len = fread(json, 1, sizeof json - 1, stdin);
  json[len] = 0;
  size_t n = decode_json_string(json, line);
  int words = 0;
  size_t i = 0;
  while (i < n) {
    while (i < n && !is_word_char(line[i])) i++;
    size_t start = i;
    while (i < n && is_word_char(line[i])) i++;
    size_t end = i;
    while (start < end && line[start] == '\'') start++;   /* 'tis → tis */
    while (end > start && line[end - 1] == '\'') end--;   /* dogs' → dogs */
    if (start == end) continue;
    for (size_t k = start; k < end; k++) if (line[k] >= 'A' && line[k] <= 'Z') line[k] += 'a' - 'A';
    printf("[\"%.*s\",1]\n", (int)(end - start), line + start);
    words++;
  }
  dprintf(PORT_TOTAL_FD, "[\"words\",%d]\n", words);
  return 0;
}
