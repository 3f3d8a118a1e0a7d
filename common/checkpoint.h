/*
 * checkpoint.h - C2SP transparency-log checkpoints (c2sp.org/tlog-checkpoint)
 * signed as C2SP signed notes with an Ed25519 key (see common/note.h).
 *
 * The note text of a checkpoint is
 *
 *     <origin>\n
 *     <tree size, decimal, no leading zeros>\n
 *     <root hash, standard padded base64 of 32 bytes>\n
 *     [<extension line>\n ...]
 *
 * iapt writes no extension lines and accepts (and ignores) non-empty ones.
 * The hub's checkpoints name the hub's log as origin and are signed by the
 * hub's key, published as a vkey (iapt_note_vkey_format), so anyone can check
 * them with standard transparency-log tools.
 *
 * Keys: sk is libsodium's 64-byte Ed25519 secret key, pk the 32-byte public
 * key. Callers own every buffer. Threads: reentrant; call iapt_crypto_init()
 * once first.
 */
#ifndef IAPT_CHECKPOINT_H
#define IAPT_CHECKPOINT_H

#include "common/util.h"

#include <stddef.h>
#include <stdint.h>

#define IAPT_CHECKPOINT_ROOT_BYTES 32

/* Append to *out the signed checkpoint for a tree of `size` leaves with the
 * given root: the body above and one signature line by (key_name, sk).
 * origin must be non-empty UTF-8 without control characters (it becomes a
 * line); key_name must be a valid note key name.
 * 0, IAPT_EUSAGE (bad origin or key name; out unchanged), IAPT_ELIMIT or
 * IAPT_ENOMEM (out's len restored). */
int iapt_checkpoint_sign(const char *origin, uint64_t size,
                         const uint8_t root[IAPT_CHECKPOINT_ROOT_BYTES], const char *key_name,
                         const uint8_t sk[64], iapt_buf_t *out);

/* Verify and parse a signed checkpoint note text[0..len): first the signature
 * line of (key_name, pk) must verify (lines of other keys are ignored, see
 * iapt_note_open), then the body must be a well-formed checkpoint.
 * On success *size and root are set, and when origin is not NULL the origin
 * line is copied into origin[origin_size], NUL-terminated.
 * 0; IAPT_ECRYPTO (not signed by this key, or a bad signature); IAPT_EFORMAT
 * (malformed note or body: empty origin, size not canonical decimal or over
 * 2^64 - 1, root not canonical base64 of exactly 32 bytes, empty extension
 * line, fewer than three lines); IAPT_ELIMIT (note over 1 MiB or over 100
 * signature lines, or origin longer than origin_size - 1); IAPT_EUSAGE;
 * IAPT_ENOMEM. On failure *size is 0 and root and origin are zeroed. */
int iapt_checkpoint_open(const uint8_t *text, size_t len, const char *key_name,
                         const uint8_t pk[32], uint64_t *size /* out */,
                         uint8_t root[IAPT_CHECKPOINT_ROOT_BYTES] /* out */,
                         char *origin /* out, may be NULL */, size_t origin_size)
    __attribute__((warn_unused_result));

#endif
