/* iapt-keygen: make an organisation's keys, or the national pseudonymisation key. */
#include "common/cli.h"
#include "common/err.h"
#include "common/keys.h"
#include "common/sign.h"
#include "common/util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void
s_usage(FILE *f)
{
    fprintf(f, "usage: iapt-keygen --org CODE --role ROLE [--name NAME] --out DIR\n"
               "       iapt-keygen --pseudo-key FILE\n"
               "\n"
               "  --org CODE     organisation code (e.g. RAT); for the hub any name like HUB\n"
               "  --role ROLE    provider, analyst, auditor or hub\n"
               "  --name NAME    organisation name for the registry line (default: the code)\n"
               "  --out DIR      writes DIR/CODE.secret (mode 0600) and DIR/CODE.pub, and prints\n"
               "                 the registry line to add on the hub\n"
               "  --pseudo-key FILE  writes a new national pseudonymisation key (mode 0600);\n"
               "                 give it to every node, never to the hub\n"
               "Existing files are never overwritten. -h/--help this text; --version.\n");
}

int
main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"org", required_argument, NULL, 'o'},
        {"role", required_argument, NULL, 'r'},
        {"name", required_argument, NULL, 'n'},
        {"out", required_argument, NULL, 'd'},
        {"pseudo-key", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *org = NULL, *role = NULL, *name = NULL, *out = NULL, *pseudo = NULL;
    int ch, rc;
    iapt_cli_init();
    if (argc == 2 && iapt_cli_is_version(argv[1])) {
        iapt_cli_print_version("iapt-keygen");
        return 0;
    }
    while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (ch) {
        case 'o':
            org = optarg;
            break;
        case 'r':
            role = optarg;
            break;
        case 'n':
            name = optarg;
            break;
        case 'd':
            out = optarg;
            break;
        case 'p':
            pseudo = optarg;
            break;
        case 'h':
            s_usage(stdout);
            return 0;
        default:
            s_usage(stderr);
            return 2;
        }
    }
    if (iapt_crypto_init() < 0) {
        fprintf(stderr, "iapt-keygen: libsodium failed to initialise\n");
        return 2;
    }
    if (pseudo) {
        iapt_pseudokey_t *k = NULL;
        if ((rc = iapt_pseudokey_generate(&k)) < 0 || (rc = iapt_pseudokey_save(k, pseudo)) < 0) {
            fprintf(stderr, "iapt-keygen: %s: %s\n", iapt_strerror(rc), iapt_error_detail());
            iapt_pseudokey_destroy(&k);
            return 2;
        }
        char hex[17];
        iapt_hex_encode(k->id, sizeof k->id, hex);
        printf("pseudonymisation key %s written to %s\n", hex, pseudo);
        iapt_pseudokey_destroy(&k);
        return 0;
    }
    if (!org || !role || !out || optind != argc) {
        s_usage(stderr);
        return 2;
    }
    char sec[4096], pub[4096];
    snprintf(sec, sizeof sec, "%s/%s.secret", out, org);
    snprintf(pub, sizeof pub, "%s/%s.pub", out, org);
    iapt_identity_t *id = NULL;
    if ((rc = iapt_mkdir_p(out, 0700)) < 0 || (rc = iapt_identity_generate(org, role, &id)) < 0 ||
        (rc = iapt_identity_save(id, sec, pub)) < 0) {
        fprintf(stderr, "iapt-keygen: %s: %s\n", iapt_strerror(rc), iapt_error_detail());
        iapt_identity_destroy(&id);
        return 2;
    }
    char b64[64];
    iapt_base64_encode(id->sign_public, 32, b64);
    fprintf(stderr, "wrote %s (secret, mode 0600) and %s\nregistry line:\n", sec, pub);
    /* The registry line on stdout, quoted as CSV would need for the name. */
    const char *nm = name ? name : org;
    int quote = strpbrk(nm, ",\"") != NULL;
    printf("%s,%s", org, quote ? "\"" : "");
    for (const char *p = nm; *p; p++) {
        if (*p == '"')
            fputs("\"\"", stdout);
        else
            putchar(*p);
    }
    printf("%s,%s,active,,%s,%s\n", quote ? "\"" : "", role, b64, id->curve_public);
    iapt_identity_destroy(&id);
    return 0;
}
