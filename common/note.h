/*
 * note.h - C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, and
 * the verifier-key text form of golang.org/x/mod/sumdb/note.
 *
 * A signed note is a text ending in a newline, a blank line, and one line per
 * signature:
 *
 *     <text>\n
 *     \n
 *     — <key name> <base64(key id (4 bytes, big-endian) || signature)>\n
 *
 * where the dash is U+2014 EM DASH followed by a space. The Ed25519 signature
 * is over the text bytes exactly, with no iapt context prefix, so that
 * standard tools (Go's note package, transparency-log witnesses) can check
 * what iapt signs. The key id is
 *
 *     SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[0:4]
 *
 * A verifier key ("vkey") is published as  <name>+<key id, 8 hex>+<base64(0x01 || pk)>.
 *
 * Secret keys are libsodium's 64-byte Ed25519 secret keys (seed || public
 * key); public keys are 32 bytes. Callers own every buffer.
 *
 * Parsing is strict: valid UTF-8 without control characters other than
 * newline, canonical padded standard base64, names that are non-empty and
 * free of Unicode spaces and '+', at most IAPT_NOTE_MAX bytes and
 * IAPT_NOTE_MAX_SIGS signature lines.
 *
 * Threads: reentrant; call iapt_crypto_init() once first.
 */
#ifndef IAPT_NOTE_H
#define IAPT_NOTE_H

#include "common/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IAPT_NOTE_MAX (1024 * 1024)
#define IAPT_NOTE_MAX_SIGS 100
#define IAPT_NOTE_ALG_ED25519 0x01

/* Longest vkey text for a name of name_len bytes, with its NUL. */
#define IAPT_NOTE_VKEY_LEN(name_len) ((name_len) + 1 + 8 + 1 + 44 + 1)

/* True when name[0..len) may name a key: non-empty valid UTF-8 with no
 * Unicode space, no '+' and no control character. */
bool iapt_note_name_valid(const char *name, size_t len);

/* The 32-bit key id of an Ed25519 key under `name` (see above). */
uint32_t iapt_note_key_id(const char *name, const uint8_t pk[32]);

/* Sign text[0..len) as a note with one signature line by key_name.
 * The text must end with a newline and contain only valid UTF-8 without
 * control characters other than newline; the public half of sk gives the key
 * id. The note is appended to *out.
 * 0, IAPT_EUSAGE (bad text or key name; out unchanged), IAPT_ELIMIT (note
 * would exceed IAPT_NOTE_MAX) or IAPT_ENOMEM (out may hold part of the note;
 * its len is restored). */
int iapt_note_sign(const uint8_t *text, size_t len, const char *key_name, const uint8_t sk[64],
                   iapt_buf_t *out);

/* Check msg[0..len) is a well-formed signed note carrying a valid signature
 * by the key (key_name, pk), and give the length of its text (which starts at
 * msg and ends with the newline before the blank line).
 * Signature lines of other keys - another name, or the same name with another
 * key id - are parsed but not checked. Every line of this key must verify.
 * 0; IAPT_ELIMIT (over IAPT_NOTE_MAX bytes or IAPT_NOTE_MAX_SIGS lines);
 * IAPT_EFORMAT (malformed); IAPT_ECRYPTO (no line of this key, or one that
 * does not verify); IAPT_EUSAGE (key_name invalid); IAPT_ENOMEM.
 * *text_len is 0 on failure. */
int iapt_note_open(const uint8_t *msg, size_t len, const char *key_name, const uint8_t pk[32],
                   size_t *text_len /* out */) __attribute__((warn_unused_result));

/* Write the vkey of (name, pk) into out (out_size bytes, NUL-terminated;
 * IAPT_NOTE_VKEY_LEN(strlen(name)) is enough).
 * 0, IAPT_EUSAGE (invalid name) or IAPT_ELIMIT (out too small). */
int iapt_note_vkey_format(const char *name, const uint8_t pk[32], char *out, size_t out_size);

/* Parse vkey[0..len): copy the name (NUL-terminated) into name[name_size]
 * and the public key into pk. The key id must match the name and key, and
 * the algorithm byte must be Ed25519.
 * 0, IAPT_EFORMAT (malformed, wrong algorithm, key id mismatch) or
 * IAPT_ELIMIT (name does not fit). Outputs are zeroed on failure. */
int iapt_note_vkey_parse(const char *vkey, size_t len, char *name /* out */, size_t name_size,
                         uint8_t pk[32] /* out */);

#endif
