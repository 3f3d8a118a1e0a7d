/* Unit tests of common/note and common/checkpoint: signed notes and
 * checkpoints compared byte for byte with notes made by other
 * implementations, published keys and notes opened, and every kind of
 * damage refused. */
#include "common/checkpoint.h"
#include "common/err.h"
#include "common/note.h"
#include "common/util.h"
#include "tests/test.h"

#include <sodium.h>

/* ---- golang.org/x/mod sumdb/note/note_test.go --------------------------
 * The published PeterNeumann and EnochRoot keys, and the note Go's Sign
 * produces with PeterNeumann's key (TestSign, TestOpen). */

static const char peter_skey_b64[] = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char peter_vkey[] =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char enoch_vkey[] = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
static const char go_text[] = "If you think cryptography is the answer to your problem,\n"
                              "then you don't know what your problem is.\n";
static const char peter_sig[] =
    "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcEl"
    "ZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
static const char enoch_sig[] =
    "\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
    "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

/* ---- a checkpoint made by PyNaCl ---------------------------------------
 * Made with /usr/bin/python3 and PyNaCl, independently of this code:
 *
 *   hub = nacl.signing.SigningKey(bytes(range(32)))
 *   wit = nacl.signing.SigningKey(bytes(range(32, 64)))
 *   keyid = lambda name, pk: sha256(name.encode() + b"\n\x01" + pk).digest()[:4]
 *   line = lambda name, sk, body: "\u2014 " + name + " " + b64encode(keyid(name,
 *       bytes(sk.verify_key)) + sk.sign(body.encode()).signature).decode() + "\n"
 *   body = "hub.iapt.example/log\n8\n" + b64encode(root_of_the_8_rfc_leaves) + "\n"
 *   note = body + "\n" + line("hub.iapt.example/log", hub, body)
 *   body2 = "hub.iapt.example/log\n1000000\n" + b64encode(sha256(b"iapt")) +
 *       "\nx-iapt-period 2024-03\n"
 *   note2 = body2 + "\n" + line("witness.example/w1", wit, body2) +
 *       line("hub.iapt.example/log", hub, body2)
 */
static const char py_name[] = "hub.iapt.example/log";
static const char py_vkey[] =
    "hub.iapt.example/log+f7a72ce5+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
static const char py_wit_vkey[] =
    "witness.example/w1+484bc619+ASmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X";
static const char py_root_hex[] =
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328";
static const char py_note[] =
    "hub.iapt.example/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n"
    "\xe2\x80\x94 hub.iapt.example/log 96cs5QMCyYb6IuC6tCkZhIEmHTD+gCershlMkM+Pp2ljargjgpJBXMo6H2"
    "iAlBdV47dLRQCO0v2RuCDqrrnPOmPdnQ4=\n";
static const char py_note2[] =
    "hub.iapt.example/log\n1000000\ncuBw1fTZ1cj6vhsdWdYh/qmolEOKhRYB2PVWHhYyxNU=\n"
    "x-iapt-period 2024-03\n\n"
    "\xe2\x80\x94 witness.example/w1 SEvGGV9cdvEtBf8bzKoWA5vZgGaIxehwC61R4DHlimqub437Aml1ZdPN33h1"
    "ZaGXMPl9WxsRn835NMYn1kWOeWtt8Qc=\n"
    "\xe2\x80\x94 hub.iapt.example/log 96cs5e8dX92okiT8oan9GQf4623FhDYgxADxpPw7kuQMxW+K/vsPVkyuKv"
    "IeQUuGovRKXOV1dQLGDhC5ASNR3eNhCwM=\n";

/* ---- a real checkpoint -------------------------------------------------
 * A signed tree head of the Go checksum database and its published key, as
 * kept in github.com/transparency-dev/formats log/note_test.go
 * (TestSumDBNoteParsing). Its origin has spaces; the key name differs. */
static const char sumdb_vkey[] =
    "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";
static const char sumdb_note[] =
    "go.sum database tree\n6476701\nmb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n\n"
    "\xe2\x80\x94 sum.golang.org "
    "Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnrsa9LM7Us9S+1xbFIGu95949rj4n"
    "PRYfvimWEPWL+o3GeoWwOoAw=\n";

static void
s_keys_from_seed(const uint8_t seed[32], uint8_t pk[32], uint8_t sk[64])
{
    crypto_sign_seed_keypair(pk, sk, seed);
}

static void
s_peter(uint8_t pk[32], uint8_t sk[64])
{
    uint8_t raw[33];
    size_t len = 0;
    CHECK_EQ_INT(iapt_base64_decode(peter_skey_b64, strlen(peter_skey_b64), raw, sizeof raw, &len),
                 0);
    CHECK_EQ_INT(len, 33);
    CHECK_EQ_INT(raw[0], IAPT_NOTE_ALG_ED25519);
    s_keys_from_seed(raw + 1, pk, sk);
}

static int
s_open(const char *msg, size_t len, const char *vkey)
{
    char name[128];
    uint8_t pk[32];
    size_t tlen;
    if (iapt_note_vkey_parse(vkey, strlen(vkey), name, sizeof name, pk) != 0)
        return 99;
    return iapt_note_open((const uint8_t *)msg, len, name, pk, &tlen);
}

static void
test_go_note(void)
{
    uint8_t pk[32], sk[64];
    char vkey[128], msg[8192];
    iapt_buf_t out = IAPT_BUF_INIT;
    size_t tlen;

    s_peter(pk, sk);
    CHECK_EQ_INT(iapt_note_key_id("PeterNeumann", pk), 0xc74f20a3u);
    CHECK_EQ_INT(iapt_note_vkey_format("PeterNeumann", pk, vkey, sizeof vkey), 0);
    CHECK_EQ_STR(vkey, peter_vkey);

    /* TestSign: byte for byte. */
    CHECK_EQ_INT(
        iapt_note_sign((const uint8_t *)go_text, strlen(go_text), "PeterNeumann", sk, &out), 0);
    snprintf(msg, sizeof msg, "%s\n%s", go_text, peter_sig);
    CHECK_EQ_INT(out.len, strlen(msg));
    CHECK(out.len == strlen(msg) && memcmp(out.data, msg, out.len) == 0);
    CHECK_EQ_INT(iapt_note_open(out.data, out.len, "PeterNeumann", pk, &tlen), 0);
    CHECK_EQ_INT(tlen, strlen(go_text));
    iapt_buf_free(&out);

    /* TestOpen: one or both keys, either order; other signers ignored. */
    snprintf(msg, sizeof msg, "%s\n%s%s", go_text, peter_sig, enoch_sig);
    CHECK_EQ_INT(s_open(msg, strlen(msg), peter_vkey), 0);
    CHECK_EQ_INT(s_open(msg, strlen(msg), enoch_vkey), 0);
    snprintf(msg, sizeof msg, "%s\n%s", go_text, enoch_sig);
    CHECK_EQ_INT(s_open(msg, strlen(msg), peter_vkey), IAPT_ECRYPTO);

    /* 101 signature lines is over the limit; 100 is not. */
    size_t n = (size_t)snprintf(msg, sizeof msg, "%s\n", go_text);
    char *many = malloc(n + 101 * strlen(peter_sig) + 1);
    memcpy(many, msg, n);
    for (int i = 0; i < 101; i++)
        memcpy(many + n + i * strlen(peter_sig), peter_sig, strlen(peter_sig));
    CHECK_EQ_INT(s_open(many, n + 100 * strlen(peter_sig), peter_vkey), 0);
    CHECK_EQ_INT(s_open(many, n + 101 * strlen(peter_sig), peter_vkey), IAPT_ELIMIT);
    free(many);

    /* A known key's bad signature rejects the note ("ABCD" inserted after
     * the key id, as in TestOpen). */
    char bad_sig[256];
    snprintf(bad_sig, sizeof bad_sig, "%.60sABCD%s", peter_sig, peter_sig + 60);
    snprintf(msg, sizeof msg, "%s\n%s", go_text, bad_sig);
    CHECK_EQ_INT(s_open(msg, strlen(msg), peter_vkey), IAPT_ECRYPTO);
    /* ... but the same damage to an unknown key's line does not matter. */
    snprintf(bad_sig, sizeof bad_sig, "%.60sABCD%s", enoch_sig, enoch_sig + 60);
    snprintf(msg, sizeof msg, "%s\n%s%s%s%s%s", go_text, peter_sig, peter_sig, enoch_sig, enoch_sig,
             bad_sig);
    CHECK_EQ_INT(s_open(msg, strlen(msg), peter_vkey), 0);

    /* TestOpen's malformed notes. */
    const char *const bad[] = {"%s",
                               "%s\n",
                               "%s\n%.*s",
                               "\x01%s\n%s",
                               "\xff%s\n%s",
                               "%s\n\xe2\x80\x94 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAc"
                               "ElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
                               "%s\n%sUnexpected line.\n"};
    snprintf(msg, sizeof msg, bad[0], go_text);
    CHECK_EQ_INT(s_open(msg, strlen(msg), peter_vkey), IAPT_EFORMAT);
    snprintf(msg, sizeof msg, bad[1], go_text);
    CHECK_EQ_INT(s_open(msg, strlen(msg), peter_vkey), IAPT_EFORMAT);
    snprintf(msg, sizeof msg, bad[2], go_text, (int)strlen(peter_sig) - 1, peter_sig);
    CHECK_EQ_INT(s_open(msg, strlen(msg), peter_vkey), IAPT_EFORMAT);
    for (int i = 3; i < 5; i++) {
        snprintf(msg, sizeof msg, bad[i], go_text, peter_sig);
        CHECK_EQ_INT(s_open(msg, strlen(msg), peter_vkey), IAPT_EFORMAT);
    }
    snprintf(msg, sizeof msg, bad[5], go_text);
    CHECK_EQ_INT(s_open(msg, strlen(msg), peter_vkey), IAPT_EFORMAT);
    snprintf(msg, sizeof msg, bad[6], go_text, peter_sig);
    CHECK_EQ_INT(s_open(msg, strlen(msg), peter_vkey), IAPT_EFORMAT);
}

static void
test_vkey(void)
{
    char name[64], buf[128];
    uint8_t pk[32];

    CHECK_EQ_INT(iapt_note_vkey_parse(peter_vkey, strlen(peter_vkey), name, sizeof name, pk), 0);
    CHECK_EQ_STR(name, "PeterNeumann");
    CHECK_EQ_INT(iapt_note_vkey_format(name, pk, buf, sizeof buf), 0);
    CHECK_EQ_STR(buf, peter_vkey);
    CHECK_EQ_INT(iapt_note_vkey_parse(enoch_vkey, strlen(enoch_vkey), name, sizeof name, pk), 0);
    CHECK_EQ_STR(name, "EnochRoot");

    /* TestNewVerifier: every proper substring and every byte bumped by one
     * must be refused. */
    size_t n = strlen(peter_vkey);
    int accepted = 0;
    for (size_t i = 0; i <= n; i++)
        for (size_t j = i + 1; j <= n; j++)
            if (i != 0 || j != n)
                accepted += iapt_note_vkey_parse(peter_vkey + i, j - i, name, sizeof name, pk) == 0;
    char mangled[128];
    for (size_t i = 0; i < n; i++) {
        memcpy(mangled, peter_vkey, n + 1);
        mangled[i]++;
        accepted += iapt_note_vkey_parse(mangled, n, name, sizeof name, pk) == 0;
    }
    CHECK_EQ_INT(accepted, 0);
    /* Wrong key length and unknown algorithm, each with a key id made to match. */
    const char *wrong_len =
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==";
    const char *wrong_alg = "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    CHECK_EQ_INT(iapt_note_vkey_parse(wrong_len, strlen(wrong_len), name, sizeof name, pk),
                 IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_note_vkey_parse(wrong_alg, strlen(wrong_alg), name, sizeof name, pk),
                 IAPT_EFORMAT);
    /* Failure leaves no half-parsed output. */
    CHECK_EQ_STR(name, "");
    uint8_t zero[32] = {0};
    CHECK_EQ_MEM(pk, zero, 32);
    CHECK_EQ_INT(iapt_note_vkey_parse(peter_vkey, n, name, 12, pk), IAPT_ELIMIT);
    CHECK_EQ_INT(iapt_note_vkey_parse(peter_vkey, n, name, 13, pk), 0);
    CHECK_EQ_INT(iapt_note_vkey_parse(NULL, 0, name, sizeof name, pk), IAPT_EFORMAT);

    CHECK_EQ_INT(iapt_note_vkey_format("PeterNeumann", pk, buf, IAPT_NOTE_VKEY_LEN(12)), 0);
    CHECK_EQ_INT(iapt_note_vkey_format("PeterNeumann", pk, buf, IAPT_NOTE_VKEY_LEN(12) - 1),
                 IAPT_ELIMIT);
    CHECK_EQ_INT(iapt_note_vkey_format("Peter Neumann", pk, buf, sizeof buf), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_note_vkey_format("Peter+Neumann", pk, buf, sizeof buf), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_note_vkey_format("", pk, buf, sizeof buf), IAPT_EUSAGE);

    /* Names: Unicode spaces and '+' are out, other Unicode is in. */
    CHECK(iapt_note_name_valid("Se\xc3\xb1or-1", 8));
    CHECK(iapt_note_name_valid("example.com/log42", 17));
    CHECK(!iapt_note_name_valid("a\xc2\xa0"
                                "b",
                                4)); /* NBSP */
    CHECK(!iapt_note_name_valid("a\xe3\x80\x80"
                                "b",
                                5)); /* ideographic space */
    CHECK(!iapt_note_name_valid("a\xe2\x80\x8a"
                                "b",
                                5)); /* hair space */
    CHECK(!iapt_note_name_valid("a\tb", 3));
    CHECK(!iapt_note_name_valid("a\xc0\xaf"
                                "b",
                                4));                  /* overlong '/' */
    CHECK(!iapt_note_name_valid("a\xed\xa0\x80", 4)); /* surrogate */
    CHECK(!iapt_note_name_valid("", 0));
}

static void
test_python_checkpoint(void)
{
    uint8_t seed[32], pk[32], sk[64], root[32], got_root[32], want_root[32];
    char vkey[128], origin[64];
    uint64_t size;
    iapt_buf_t out = IAPT_BUF_INIT;

    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)i;
    s_keys_from_seed(seed, pk, sk);
    CHECK_EQ_INT(iapt_note_vkey_format(py_name, pk, vkey, sizeof vkey), 0);
    CHECK_EQ_STR(vkey, py_vkey);
    CHECK_EQ_INT(iapt_hex_decode(py_root_hex, root, 32), 0);

    /* Byte for byte what PyNaCl made. */
    CHECK_EQ_INT(iapt_checkpoint_sign(py_name, 8, root, py_name, sk, &out), 0);
    CHECK_EQ_INT(out.len, strlen(py_note));
    CHECK(out.len == strlen(py_note) && memcmp(out.data, py_note, out.len) == 0);
    iapt_buf_free(&out);

    CHECK_EQ_INT(iapt_checkpoint_open((const uint8_t *)py_note, strlen(py_note), py_name, pk, &size,
                                      got_root, origin, sizeof origin),
                 0);
    CHECK_EQ_INT(size, 8);
    CHECK_EQ_MEM(got_root, root, 32);
    CHECK_EQ_STR(origin, py_name);

    /* Two signers and an extension line: each key opens it alone. */
    crypto_hash_sha256(want_root, (const uint8_t *)"iapt", 4);
    CHECK_EQ_INT(iapt_checkpoint_open((const uint8_t *)py_note2, strlen(py_note2), py_name, pk,
                                      &size, got_root, NULL, 0),
                 0);
    CHECK_EQ_INT(size, 1000000);
    CHECK_EQ_MEM(got_root, want_root, 32);
    char wname[64];
    uint8_t wpk[32];
    CHECK_EQ_INT(iapt_note_vkey_parse(py_wit_vkey, strlen(py_wit_vkey), wname, sizeof wname, wpk),
                 0);
    CHECK_EQ_INT(iapt_checkpoint_open((const uint8_t *)py_note2, strlen(py_note2), wname, wpk,
                                      &size, got_root, origin, sizeof origin),
                 0);
    CHECK_EQ_STR(origin, py_name);
    /* The origin buffer must hold the origin and its NUL. */
    CHECK_EQ_INT(iapt_checkpoint_open((const uint8_t *)py_note, strlen(py_note), py_name, pk, &size,
                                      got_root, origin, strlen(py_name)),
                 IAPT_ELIMIT);
    CHECK_EQ_INT(size, 0);
    CHECK_EQ_INT(iapt_checkpoint_open((const uint8_t *)py_note, strlen(py_note), py_name, pk, &size,
                                      got_root, origin, strlen(py_name) + 1),
                 0);
}

static void
test_sumdb_checkpoint(void)
{
    char name[64], origin[64];
    uint8_t pk[32], root[32], want[32];
    uint64_t size;
    size_t len;

    CHECK_EQ_INT(iapt_note_vkey_parse(sumdb_vkey, strlen(sumdb_vkey), name, sizeof name, pk), 0);
    CHECK_EQ_STR(name, "sum.golang.org");
    CHECK_EQ_INT(iapt_checkpoint_open((const uint8_t *)sumdb_note, strlen(sumdb_note), name, pk,
                                      &size, root, origin, sizeof origin),
                 0);
    CHECK_EQ_INT(size, 6476701);
    CHECK_EQ_STR(origin, "go.sum database tree");
    CHECK_EQ_INT(
        iapt_base64_decode("mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=", 44, want, 32, &len), 0);
    CHECK_EQ_MEM(root, want, 32);
    char msg[512];
    memcpy(msg, sumdb_note, sizeof sumdb_note);
    msg[21] = '7'; /* 6476701 -> 7476701 */
    CHECK_EQ_INT(iapt_checkpoint_open((const uint8_t *)msg, strlen(msg), name, pk, &size, root,
                                      origin, sizeof origin),
                 IAPT_ECRYPTO);
}

/* Open `msg` as a checkpoint of the PyNaCl hub key. */
static int
s_open_cp(const char *msg, size_t len)
{
    uint8_t pk[32], root[32];
    char name[64];
    uint64_t size = 1;
    int rc;
    if (iapt_note_vkey_parse(py_vkey, strlen(py_vkey), name, sizeof name, pk) != 0)
        return 99;
    rc = iapt_checkpoint_open((const uint8_t *)msg, len, name, pk, &size, root, NULL, 0);
    if (rc != 0) {
        uint8_t zero[32] = {0};
        CHECK_EQ_INT(size, 0);
        CHECK_EQ_MEM(root, zero, 32);
    }
    return rc;
}

/* Replace the first `from` in py_note with `to`, into out. */
static size_t
s_edit(const char *from, const char *to, char *out, size_t out_size)
{
    const char *at = strstr(py_note, from);
    if (!at) {
        fprintf(stderr, "edit target not found: %s\n", from);
        exit(2);
    }
    return (size_t)snprintf(out, out_size, "%.*s%s%s", (int)(at - py_note), py_note, to,
                            at + strlen(from));
}

static void
test_refused(void)
{
    char msg[1024];
    size_t len;

    CHECK_EQ_INT(s_open_cp(py_note, strlen(py_note)), 0);
    /* Tampered body. */
    len = s_edit("\n8\n", "\n9\n", msg, sizeof msg);
    CHECK_EQ_INT(s_open_cp(msg, len), IAPT_ECRYPTO);
    len = s_edit("Xcna", "Xcnb", msg, sizeof msg);
    CHECK_EQ_INT(s_open_cp(msg, len), IAPT_ECRYPTO);
    /* Signature bit flipped. */
    len = s_edit("OmPdnQ4=", "OmPenQ4=", msg, sizeof msg);
    CHECK_EQ_INT(s_open_cp(msg, len), IAPT_ECRYPTO);
    /* Another key id under the same name: not our key, so no signature. */
    len = s_edit("96cs5Q", "96ct5Q", msg, sizeof msg);
    CHECK_EQ_INT(s_open_cp(msg, len), IAPT_ECRYPTO);
    CHECK(strstr(iapt_error_detail(), "not signed") != NULL);
    /* Another name with the same bytes. */
    len = s_edit("\xe2\x80\x94 hub.iapt.example/log ", "\xe2\x80\x94 hub.iapt.example/lag ", msg,
                 sizeof msg);
    CHECK_EQ_INT(s_open_cp(msg, len), IAPT_ECRYPTO);
    /* Extra garbage after the signatures, with or without a newline. */
    len = (size_t)snprintf(msg, sizeof msg, "%sjunk\n", py_note);
    CHECK_EQ_INT(s_open_cp(msg, len), IAPT_EFORMAT);
    len = (size_t)snprintf(msg, sizeof msg, "%sjunk", py_note);
    CHECK_EQ_INT(s_open_cp(msg, len), IAPT_EFORMAT);
    len = (size_t)snprintf(msg, sizeof msg, "%s\n", py_note);
    CHECK_EQ_INT(s_open_cp(msg, len), IAPT_EFORMAT);
    len = (size_t)snprintf(msg, sizeof msg, "%s", py_note);
    CHECK_EQ_INT(s_open_cp(msg, len - 1), IAPT_EFORMAT); /* no final newline */
    /* A NUL anywhere is a control character. */
    memcpy(msg, py_note, strlen(py_note));
    CHECK_EQ_INT(s_open_cp(msg, strlen(py_note) + 1), IAPT_EFORMAT);
    /* Bad base64: bad character, missing padding, padding bits not zero. */
    len = s_edit("nQ4=", "nQ4!", msg, sizeof msg);
    CHECK_EQ_INT(s_open_cp(msg, len), IAPT_EFORMAT);
    len = s_edit("nQ4=", "nQ4", msg, sizeof msg);
    CHECK_EQ_INT(s_open_cp(msg, len), IAPT_EFORMAT);
    len = s_edit("nQ4=", "nQ5", msg, sizeof msg);
    CHECK_EQ_INT(s_open_cp(msg, len), IAPT_EFORMAT);
    len = s_edit(" 96cs", "  96cs", msg, sizeof msg);
    CHECK_EQ_INT(s_open_cp(msg, len), IAPT_EFORMAT);
    len = s_edit(" 96cs5QMC", " AAAA", msg, sizeof msg); /* under 5 bytes would need a short line */
    CHECK(s_open_cp(msg, len) != 0);
    len = s_edit(" 96cs5QMCyYb6IuC6tCkZhIEmHTD+gCershlMkM+"
                 "Pp2ljargjgpJBXMo6H2iAlBdV47dLRQCO0v2RuCDqrrnPOmPdnQ4=",
                 " AAAA", msg, sizeof msg);
    CHECK_EQ_INT(s_open_cp(msg, len), IAPT_EFORMAT);
    /* Missing blank line, a hyphen for the em dash, CR LF line ends. */
    len = s_edit("=\n\n\xe2\x80\x94", "=\n\xe2\x80\x94", msg, sizeof msg);
    CHECK_EQ_INT(s_open_cp(msg, len), IAPT_EFORMAT);
    len = s_edit("\xe2\x80\x94 ", "- ", msg, sizeof msg);
    CHECK_EQ_INT(s_open_cp(msg, len), IAPT_EFORMAT);
    len = s_edit("log\n8\n", "log\r\n8\r\n", msg, sizeof msg);
    CHECK_EQ_INT(s_open_cp(msg, len), IAPT_EFORMAT);
    len = s_edit("hub.iapt", "\xffhub.iapt", msg, sizeof msg);
    CHECK_EQ_INT(s_open_cp(msg, len), IAPT_EFORMAT);
    /* A line by our name and key id whose signature is by another key. */
    {
        uint8_t seed[32], opk[32], osk[64], hpk[32], raw[68];
        char name[64], line[200], b64[100];
        const char *body_end = strstr(py_note, "\n\n") + 1;
        memset(seed, 9, 32);
        s_keys_from_seed(seed, opk, osk);
        CHECK_EQ_INT(iapt_note_vkey_parse(py_vkey, strlen(py_vkey), name, sizeof name, hpk), 0);
        uint32_t id = iapt_note_key_id(name, hpk);
        raw[0] = (uint8_t)(id >> 24);
        raw[1] = (uint8_t)(id >> 16);
        raw[2] = (uint8_t)(id >> 8);
        raw[3] = (uint8_t)id;
        crypto_sign_detached(raw + 4, NULL, (const uint8_t *)py_note, (size_t)(body_end - py_note),
                             osk);
        iapt_base64_encode(raw, sizeof raw, b64);
        snprintf(line, sizeof line, "\xe2\x80\x94 %s %s\n", name, b64);
        len =
            (size_t)snprintf(msg, sizeof msg, "%.*s\n%s", (int)(body_end - py_note), py_note, line);
        CHECK_EQ_INT(s_open_cp(msg, len), IAPT_ECRYPTO);
        /* Even next to a good line: every line of our key must verify. */
        len = (size_t)snprintf(msg, sizeof msg, "%s%s", py_note, line);
        CHECK_EQ_INT(s_open_cp(msg, len), IAPT_ECRYPTO);
    }
    /* Wrong key given to open. */
    {
        uint8_t seed[32], opk[32], osk[64], root[32];
        uint64_t size;
        memset(seed, 7, 32);
        s_keys_from_seed(seed, opk, osk);
        CHECK_EQ_INT(iapt_checkpoint_open((const uint8_t *)py_note, strlen(py_note), py_name, opk,
                                          &size, root, NULL, 0),
                     IAPT_ECRYPTO);
        CHECK_EQ_INT(iapt_checkpoint_open((const uint8_t *)py_note, strlen(py_note), "bad name",
                                          opk, &size, root, NULL, 0),
                     IAPT_EUSAGE);
    }
    /* Over 1 MiB. */
    {
        size_t big = IAPT_NOTE_MAX + 1;
        char *huge = malloc(big);
        memset(huge, 'a', big);
        memcpy(huge, py_note, strlen(py_note));
        CHECK_EQ_INT(s_open_cp(huge, big), IAPT_ELIMIT);
        free(huge);
    }
}

/* Bodies signed properly by the hub key but not well-formed checkpoints. */
static void
test_bad_bodies(void)
{
    uint8_t seed[32], pk[32], sk[64], root[32];
    uint64_t size;
    static const char *const bodies[] = {
        "o\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
        "o\n+8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
        "o\n-1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
        "o\n 8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
        "o\n8 \nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
        "o\n0x8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
        "o\n18446744073709551616\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
        "o\n99999999999999999999\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
        "o\n\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
        "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
        "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQy=\n",  /* 31 bytes */
        "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg\n",  /* no padding */
        "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\n", /* padding bits */
        "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=AAAA\n",
        "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\next\n",
        "o\n8\n",
        "o\n",
    };

    memset(seed, 5, 32);
    s_keys_from_seed(seed, pk, sk);
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        iapt_buf_t out = IAPT_BUF_INIT;
        CHECK_EQ_INT(iapt_note_sign((const uint8_t *)bodies[i], strlen(bodies[i]), "k", sk, &out),
                     0);
        int rc = iapt_checkpoint_open(out.data, out.len, "k", pk, &size, root, NULL, 0);
        if (rc != IAPT_EFORMAT)
            fprintf(stderr, "body %zu: %d\n", i, rc);
        CHECK_EQ_INT(rc, IAPT_EFORMAT);
        iapt_buf_free(&out);
    }
    /* And the good cases at the edges. */
    static const char *const good[] = {
        "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "o\n18446744073709551615\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
        "origin with spaces\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\nx\ny y\n",
    };
    static const uint64_t good_size[] = {0, UINT64_MAX, 8};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        iapt_buf_t out = IAPT_BUF_INIT;
        CHECK_EQ_INT(iapt_note_sign((const uint8_t *)good[i], strlen(good[i]), "k", sk, &out), 0);
        CHECK_EQ_INT(iapt_checkpoint_open(out.data, out.len, "k", pk, &size, root, NULL, 0), 0);
        CHECK(size == good_size[i]);
        iapt_buf_free(&out);
    }
}

static void
test_sign_roundtrip(void)
{
    uint8_t seed[32], pk[32], sk[64], root[32], got[32];
    char origin[64];
    uint64_t size;
    size_t tlen;
    iapt_buf_t out = IAPT_BUF_INIT;

    memset(seed, 1, 32);
    s_keys_from_seed(seed, pk, sk);
    memset(root, 0xab, 32);
    CHECK_EQ_INT(
        iapt_checkpoint_sign("iapt.example/audit", UINT64_MAX, root, "iapt.example/hub", sk, &out),
        0);
    CHECK_EQ_INT(iapt_checkpoint_open(out.data, out.len, "iapt.example/hub", pk, &size, got, origin,
                                      sizeof origin),
                 0);
    CHECK(size == UINT64_MAX);
    CHECK_EQ_MEM(got, root, 32);
    CHECK_EQ_STR(origin, "iapt.example/audit");
    /* The signature is plain Ed25519 over the body: no iapt context. */
    {
        const uint8_t *blank = (const uint8_t *)strstr((const char *)out.data, "\n\n");
        const char *b64 = strrchr((const char *)out.data, ' ') + 1;
        uint8_t raw[68];
        size_t raw_len;
        CHECK(blank != NULL);
        CHECK_EQ_INT(iapt_base64_decode(b64, strlen(b64) - 1, raw, sizeof raw, &raw_len), 0);
        CHECK_EQ_INT(
            crypto_sign_verify_detached(raw + 4, out.data, (size_t)(blank - out.data) + 1, pk), 0);
    }
    /* Appends, and leaves out alone when refusing. */
    size_t before = out.len;
    CHECK_EQ_INT(iapt_checkpoint_sign("", 1, root, "k", sk, &out), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_checkpoint_sign("a\nb", 1, root, "k", sk, &out), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_checkpoint_sign("a\tb", 1, root, "k", sk, &out), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_checkpoint_sign("a\xff", 1, root, "k", sk, &out), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_checkpoint_sign(NULL, 1, root, "k", sk, &out), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_checkpoint_sign("o", 1, root, "a b", sk, &out), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_checkpoint_sign("o", 1, root, "a+b", sk, &out), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_checkpoint_sign("o", 1, root, "", sk, &out), IAPT_EUSAGE);
    CHECK_EQ_INT(out.len, before);
    CHECK_EQ_INT(iapt_checkpoint_sign("o", 1, root, "k", sk, &out), 0);
    CHECK(out.len > before);
    CHECK_EQ_INT(
        iapt_checkpoint_open(out.data + before, out.len - before, "k", pk, &size, got, NULL, 0), 0);
    CHECK_EQ_INT(size, 1);
    iapt_buf_free(&out);

    /* Note text rules on signing. */
    CHECK_EQ_INT(iapt_note_sign((const uint8_t *)"no newline", 10, "k", sk, &out), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_note_sign((const uint8_t *)"", 0, "k", sk, &out), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_note_sign((const uint8_t *)"a\rb\n", 4, "k", sk, &out), IAPT_EUSAGE);
    CHECK_EQ_INT(out.len, 0);
    /* A note that would pass 1 MiB is not made. */
    char *huge = malloc(IAPT_NOTE_MAX);
    memset(huge, 'a', IAPT_NOTE_MAX);
    /* The signature block with key name "k" is 100 bytes: blank line, em
     * dash and space (4), name, space, 92 base64 characters, newline. */
    huge[IAPT_NOTE_MAX - 100] = '\n';
    CHECK_EQ_INT(iapt_note_sign((const uint8_t *)huge, IAPT_NOTE_MAX - 99, "k", sk, &out),
                 IAPT_ELIMIT);
    huge[IAPT_NOTE_MAX - 100] = '\0'; /* origin; the body adds 48 bytes */
    CHECK_EQ_INT(iapt_checkpoint_sign(huge, 1, root, "k", sk, &out), IAPT_ELIMIT);
    CHECK_EQ_INT(out.len, 0);
    huge[IAPT_NOTE_MAX - 101] = '\n';
    CHECK_EQ_INT(iapt_note_sign((const uint8_t *)huge, IAPT_NOTE_MAX - 100, "k", sk, &out), 0);
    CHECK_EQ_INT(out.len, IAPT_NOTE_MAX);
    CHECK_EQ_INT(iapt_note_open(out.data, out.len, "k", pk, &tlen), 0);
    CHECK_EQ_INT(tlen, IAPT_NOTE_MAX - 100);
    free(huge);
    iapt_buf_free(&out);
}

TEST_MAIN(test_go_note, test_vkey, test_python_checkpoint, test_sumdb_checkpoint, test_refused,
          test_bad_bodies, test_sign_roundtrip)
