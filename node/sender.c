/* sender.c - the node's side of the submission protocol. */
#include "node/sender.h"
#include "common/checkpoint.h"
#include "common/err.h"
#include "common/log.h"
#include "common/merkle.h"
#include "common/monitor.h"
#include "common/wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

int
iapt_receipt_verify(const uint8_t *signed_manifest, size_t manifest_len,
                    const uint8_t *signed_receipt, size_t receipt_len,
                    const uint8_t hub_sign_public[32], const char *hub_name, uint64_t *log_index)
{
    int rc;
    Iapt__Receipt *r = NULL;
    Iapt__Manifest *m = NULL;
    const uint8_t *mb, *sig;
    size_t ml;
    uint8_t id[32];

    if ((rc = iapt_receipt_open_bytes(signed_receipt, receipt_len, hub_sign_public, &r)) < 0)
        return rc;
    if ((rc = iapt_manifest_split(signed_manifest, manifest_len, SIZE_MAX, &mb, &ml, &sig)) < 0 ||
        (rc = iapt_manifest_decode_verified(mb, ml, &m)) < 0)
        goto out;
    iapt_submission_id(signed_manifest, manifest_len, id);
    if (memcmp(r->submission_id.data, id, 32) != 0 || strcmp(r->org_code, m->org_code) != 0 ||
        strcmp(r->period, m->period) != 0 || r->sequence != m->sequence ||
        r->record_count != m->record_count ||
        memcmp(r->records_root.data, m->records_root.data, 32) != 0) {
        rc = iapt_error_set(IAPT_ECRYPTO, "receipt does not describe this submission");
        goto out;
    }
    const char *name = hub_name ? hub_name : r->hub_name;
    uint64_t size;
    uint8_t root[32];
    char origin[256];
    if ((rc = iapt_checkpoint_open((const uint8_t *)r->checkpoint, strlen(r->checkpoint), name,
                                   hub_sign_public, &size, root, origin, sizeof origin)) < 0) {
        rc = iapt_error_set(IAPT_ECRYPTO, "receipt checkpoint: %s", iapt_error_detail());
        goto out;
    }
    if (size != r->tree_size || r->log_index >= size) {
        rc = iapt_error_set(IAPT_ECRYPTO, "receipt tree size %llu, checkpoint %llu, index %llu",
                            (unsigned long long)r->tree_size, (unsigned long long)size,
                            (unsigned long long)r->log_index);
        goto out;
    }
    uint8_t leaf[32], proof[IAPT_MERKLE_PROOF_MAX_BYTES];
    if (r->n_inclusion_proof > IAPT_MERKLE_PROOF_MAX) {
        rc = iapt_error_set(IAPT_EFORMAT, "inclusion proof too long");
        goto out;
    }
    for (size_t i = 0; i < r->n_inclusion_proof; i++)
        memcpy(proof + 32 * i, r->inclusion_proof[i].data, 32);
    iapt_merkle_leaf_hash(signed_manifest, manifest_len, leaf);
    if ((rc = iapt_merkle_verify_inclusion(r->log_index, size, leaf, proof,
                                           32 * r->n_inclusion_proof, root)) < 0) {
        rc = iapt_error_set(IAPT_ECRYPTO, "inclusion proof does not verify against the checkpoint");
        goto out;
    }
    if (log_index)
        *log_index = r->log_index;
out:
    if (m)
        iapt__manifest__free_unpacked(m, NULL);
    if (r)
        iapt__receipt__free_unpacked(r, NULL);
    return rc;
}

/* ---- one transfer -------------------------------------------------------------- */

typedef struct {
    iapt_outbox_t *ob;
    const iapt_identity_t *self;
    const iapt_sender_config_t *cfg;
    void *zctx;
    FILE *capture;
    int64_t deadline;
    enum iapt_conn_state diag_state; /* the last connection fault reported */
    char diag[512];                  /* its explanation, with the fix */
} s_ctx_t;

/* A fresh DEALER with its monitor (common/monitor.h), connecting. */
static void *
s_connect(s_ctx_t *c, iapt_monitor_t **mon)
{
    void *sock = zmq_socket(c->zctx, ZMQ_DEALER);
    *mon = NULL;
    if (!sock)
        return NULL;
    int zero = 0, hs = 10000;
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sock, ZMQ_HANDSHAKE_IVL, &hs, sizeof hs);
    if (iapt_wire_curve_client(sock, c->self, c->cfg->hub_curve_public) < 0 ||
        iapt_monitor_new(c->zctx, sock, c->cfg->endpoint, mon) < 0 ||
        zmq_connect(sock, c->cfg->endpoint) < 0) {
        iapt_monitor_destroy(mon);
        zmq_close(sock);
        return NULL;
    }
    return sock;
}

/* Note what the monitor found: 1 when the handshake was refused or the hub's
 * key is not ours (nothing will change by waiting), else 0. A hub that is
 * not reachable is reported once per run and retried until the deadline. */
static int
s_watch(s_ctx_t *c, iapt_monitor_t *mon)
{
    enum iapt_conn_state st = iapt_monitor_update(mon);
    if (st != IAPT_CONN_UNREACHABLE && st != IAPT_CONN_KEY_REFUSED && st != IAPT_CONN_WRONG_HUB_KEY)
        return 0;
    if (st != c->diag_state) {
        iapt_monitor_explain(mon, st, "hub-endpoint in node.conf",
                             c->cfg->hub_public_path ? c->cfg->hub_public_path : "hub-public",
                             c->diag, sizeof c->diag);
        c->diag_state = st;
        if (st == IAPT_CONN_UNREACHABLE)
            iapt_log_warn("%s (will retry until the deadline)", c->diag);
        else
            iapt_log_error("%s", c->diag);
    }
    return st != IAPT_CONN_UNREACHABLE;
}

static int
s_send(s_ctx_t *c, void *sock, const iapt_buf_t *b)
{
    if (c->capture) {
        uint8_t len[4] = {(uint8_t)(b->len >> 24), (uint8_t)(b->len >> 16), (uint8_t)(b->len >> 8),
                          (uint8_t)b->len};
        fwrite(len, 1, 4, c->capture);
        fwrite(b->data, 1, b->len, c->capture);
        fflush(c->capture);
    }
    if (zmq_send(sock, b->data, b->len, 0) < 0)
        return iapt_error_set(IAPT_EZMQ, "send: %s", zmq_strerror(errno));
    return 0;
}

/* Wait for one envelope, watching the connection meanwhile: 1 got, 0
 * timeout, 2 the handshake failed for good (c->diag says why), <0 error. */
static int
s_recv(s_ctx_t *c, void *sock, iapt_monitor_t *mon, int timeout_ms, Iapt__Envelope **env)
{
    int64_t until = iapt_clock_ms() + timeout_ms;
    for (;;) {
        if (s_watch(c, mon))
            return 2;
        int64_t left = until - iapt_clock_ms();
        if (left <= 0)
            return 0;
        zmq_pollitem_t items[2] = {{sock, 0, ZMQ_POLLIN, 0},
                                   {iapt_monitor_socket(mon), 0, ZMQ_POLLIN, 0}};
        int r = zmq_poll(items, 2, (long)left);
        if (r < 0)
            return errno == EINTR ? 0 : iapt_error_set(IAPT_EZMQ, "poll: %s", zmq_strerror(errno));
        if (items[0].revents & ZMQ_POLLIN)
            break;
    }
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, sock, 0) < 0) {
        zmq_msg_close(&msg);
        return iapt_error_set(IAPT_EZMQ, "recv: %s", zmq_strerror(errno));
    }
    int rc = iapt_wire_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg), 256u << 20, env);
    zmq_msg_close(&msg);
    return rc < 0 ? rc : 1;
}

static void
s_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* S_FAULT: the hub refused our key in the handshake, or its key is not
 * hub-public: stop, the entry stays pending. */
enum s_outcome { S_DELIVERED, S_REFUSED, S_RETRY, S_TIMEOUT, S_FAULT };

static int
s_deliver_receipt(s_ctx_t *c, const Iapt__OutboxEntry *e, const Iapt__SignedReceipt *sr,
                  enum s_outcome *out)
{
    iapt_buf_t b = IAPT_BUF_INIT;
    int rc = iapt_buf_reserve(&b, iapt__signed_receipt__get_packed_size(sr));
    if (rc < 0)
        return rc;
    b.len = iapt__signed_receipt__pack(sr, b.data);
    uint64_t index = 0;
    rc = iapt_receipt_verify(e->signed_manifest.data, e->signed_manifest.len, b.data, b.len,
                             c->cfg->hub_sign_public, c->cfg->hub_name, &index);
    if (rc < 0) {
        /* A receipt that does not verify proves nothing: keep the entry
         * pending and say so loudly. */
        iapt_log_error("submission %llu: receipt refused: %s", (unsigned long long)e->sequence,
                       iapt_error_detail());
        *out = S_RETRY;
        iapt_buf_free(&b);
        return 0;
    }
    /* Verified: delivered, whether counted at once or held for review (the
     * receipt says which; status shows it). */
    Iapt__Receipt *r = NULL;
    int held = iapt_receipt_open_bytes(b.data, b.len, c->cfg->hub_sign_public, &r) == 0 &&
               r->has_review && r->review == IAPT__REVIEW_STATE__REVIEW_PENDING;
    rc = iapt_outbox_delivered(c->ob, e->sequence, b.data, b.len, index);
    iapt_buf_free(&b);
    if (rc == 0) {
        *out = S_DELIVERED;
        if (!c->cfg->quiet)
            printf("submission %llu (%s, %llu records) delivered: log index %llu\n",
                   (unsigned long long)e->sequence, e->period, (unsigned long long)e->record_count,
                   (unsigned long long)index);
        if (held) {
            iapt_log_warn("submission %llu (%s) is HELD FOR REVIEW by the hub: %s; the month "
                          "counted before stays published until an analyst confirms it "
                          "('iapt-node status' shows the outcome)",
                          (unsigned long long)e->sequence, e->period,
                          r->held_because ? r->held_because : "no reason given");
            if (!c->cfg->quiet)
                printf("submission %llu (%s) held for review by the central team: %s\n",
                       (unsigned long long)e->sequence, e->period,
                       r->held_because ? r->held_because : "");
        }
    }
    if (r)
        iapt__receipt__free_unpacked(r, NULL);
    return rc;
}

/* One attempt over one connection. */
static int
s_attempt(s_ctx_t *c, const Iapt__OutboxEntry *e, enum s_outcome *out)
{
    int rc = 0;
    const uint8_t *id = e->submission_id.data;
    iapt_buf_t b = IAPT_BUF_INIT;
    Iapt__Envelope *in = NULL;
    iapt_monitor_t *mon = NULL;
    void *sock = s_connect(c, &mon);
    if (!sock)
        return iapt_error_set(IAPT_EZMQ, "connect %s: %s", c->cfg->endpoint, zmq_strerror(errno));
    *out = S_RETRY;

    Iapt__Open o = IAPT__OPEN__INIT;
    o.signed_manifest = e->signed_manifest;
    Iapt__Envelope env = IAPT__ENVELOPE__INIT;
    env.body_case = IAPT__ENVELOPE__BODY_OPEN;
    env.open = &o;
    if ((rc = iapt_wire_pack(&env, &b)) < 0 || (rc = s_send(c, sock, &b)) < 0)
        goto out;

    uint64_t next_send = 0, acked = 0;
    uint32_t credit = 0;
    size_t max_chunk = 1u << 20;
    int opened = 0, closing = 0;
    for (;;) {
        int64_t left = c->deadline - iapt_clock_ms();
        if (left <= 0) {
            *out = S_TIMEOUT;
            break;
        }
        /* Send while we have credit. */
        while (opened && !closing && credit > 0 && next_send < e->record_count) {
            size_t n = 0;
            if ((rc = iapt_outbox_chunk(c->ob, e->sequence, id, next_send, max_chunk - 256, &b,
                                        &n)) < 0 ||
                (rc = s_send(c, sock, &b)) < 0)
                goto out;
            if (n == 0) {
                rc = iapt_error_set(IAPT_ELMDB, "outbox lost records of submission %llu",
                                    (unsigned long long)e->sequence);
                goto out;
            }
            next_send += n;
            credit--;
            if (c->cfg->pace_ms)
                s_sleep_ms(c->cfg->pace_ms);
        }
        if (opened && !closing && acked == e->record_count) {
            Iapt__Close cl = IAPT__CLOSE__INIT;
            cl.submission_id = e->submission_id;
            Iapt__Envelope ce = IAPT__ENVELOPE__INIT;
            ce.body_case = IAPT__ENVELOPE__BODY_CLOSE;
            ce.close = &cl;
            if ((rc = iapt_wire_pack(&ce, &b)) < 0 || (rc = s_send(c, sock, &b)) < 0)
                goto out;
            closing = 1;
        }
        int timeout = c->cfg->reply_timeout_ms;
        if (timeout > left)
            timeout = (int)left;
        int r = s_recv(c, sock, mon, timeout, &in);
        if (r == 2) {
            *out = S_FAULT;
            break;
        }
        if (r < 0) {
            iapt_log_warn("submission %llu: %s", (unsigned long long)e->sequence,
                          iapt_error_detail());
            break; /* retry on a fresh connection */
        }
        if (r == 0) {
            if (c->diag_state != IAPT_CONN_UNREACHABLE)
                iapt_log_info("submission %llu: no answer from the hub in %d ms; reconnecting",
                              (unsigned long long)e->sequence, timeout);
            break;
        }
        switch (in->body_case) {
        case IAPT__ENVELOPE__BODY_ACCEPT:
            if (in->accept->submission_id.len != 32 ||
                memcmp(in->accept->submission_id.data, id, 32) != 0)
                break;
            opened = 1;
            closing = 0;
            acked = next_send = in->accept->next_index;
            credit = in->accept->credit;
            if (in->accept->max_chunk_bytes >= 4096)
                max_chunk = in->accept->max_chunk_bytes;
            if (c->cfg->max_chunk_bytes && c->cfg->max_chunk_bytes < max_chunk)
                max_chunk = c->cfg->max_chunk_bytes;
            if (acked > 0 && !c->cfg->quiet)
                printf("submission %llu: resuming at record %llu of %llu\n",
                       (unsigned long long)e->sequence, (unsigned long long)acked,
                       (unsigned long long)e->record_count);
            break;
        case IAPT__ENVELOPE__BODY_CREDIT:
            if (in->credit->submission_id.len != 32 ||
                memcmp(in->credit->submission_id.data, id, 32) != 0)
                break;
            if (in->credit->next_index > acked)
                acked = in->credit->next_index;
            credit += in->credit->credit;
            break;
        case IAPT__ENVELOPE__BODY_ALREADY_HAVE:
            rc = s_deliver_receipt(c, e, in->already_have->receipt, out);
            goto out;
        case IAPT__ENVELOPE__BODY_RECEIPT:
            rc = s_deliver_receipt(c, e, in->receipt, out);
            goto out;
        case IAPT__ENVELOPE__BODY_REFUSE: {
            const Iapt__Refuse *rf = in->refuse;
            if (rf->has_permanent && rf->permanent) {
                iapt_log_error("submission %llu refused by the hub: %s",
                               (unsigned long long)e->sequence, rf->reason);
                if (!c->cfg->quiet)
                    printf("submission %llu (%s) refused: %s\n", (unsigned long long)e->sequence,
                           e->period, rf->reason);
                rc = iapt_outbox_refused(c->ob, e->sequence, (int)rf->code, rf->reason);
                *out = S_REFUSED;
            } else {
                iapt_log_warn("submission %llu: hub says: %s (will retry)",
                              (unsigned long long)e->sequence, rf->reason);
                *out = S_RETRY;
            }
            goto out;
        }
        default:
            iapt_log_warn("unexpected message type %d from the hub", (int)in->body_case);
            break;
        }
        iapt__envelope__free_unpacked(in, NULL);
        in = NULL;
    }
out:
    if (in)
        iapt__envelope__free_unpacked(in, NULL);
    iapt_buf_free(&b);
    iapt_monitor_destroy(&mon);
    zmq_close(sock);
    return rc;
}

int
iapt_sender_run(iapt_outbox_t *ob, const iapt_identity_t *self, const iapt_sender_config_t *cfg_in,
                iapt_sender_report_t *report)
{
    int rc = 0;
    uint64_t *seqs = NULL;
    size_t n = 0;
    iapt_sender_config_t cfg = *cfg_in;
    if (cfg.reply_timeout_ms <= 0)
        cfg.reply_timeout_ms = 10000;
    if (cfg.deadline_ms <= 0)
        cfg.deadline_ms = 600000;
    s_ctx_t c = {ob, self, &cfg, NULL, NULL, iapt_clock_ms() + cfg.deadline_ms, IAPT_CONN_PENDING,
                 ""};
    memset(report, 0, sizeof *report);

    if ((rc = iapt_outbox_list(ob, IAPT__OUTBOX_STATE__OUTBOX_PENDING, &seqs, &n)) < 0)
        return rc;
    if (n == 0)
        goto out;
    if (cfg.capture_path && !(c.capture = fopen(cfg.capture_path, "ab"))) {
        rc = iapt_error_set(IAPT_EIO, "%s: %s", cfg.capture_path, strerror(errno));
        goto out;
    }
    if (!(c.zctx = zmq_ctx_new())) {
        rc = iapt_error_set(IAPT_EZMQ, "zmq_ctx_new: %s", zmq_strerror(errno));
        goto out;
    }
    size_t i = 0;
    int backoff = 250;
    while (i < n) {
        Iapt__OutboxEntry *e = NULL;
        if ((rc = iapt_outbox_get(ob, seqs[i], &e)) < 0)
            goto out;
        if (e->state != IAPT__OUTBOX_STATE__OUTBOX_PENDING) {
            iapt__outbox_entry__free_unpacked(e, NULL);
            i++;
            continue;
        }
        enum s_outcome o;
        iapt_outbox_attempt(ob, e->sequence);
        rc = s_attempt(&c, e, &o);
        iapt__outbox_entry__free_unpacked(e, NULL);
        if (rc < 0)
            goto out;
        if (o == S_DELIVERED || o == S_REFUSED) {
            if (o == S_DELIVERED)
                report->delivered++;
            else
                report->refused++;
            i++;
            backoff = 250;
            continue;
        }
        if (o == S_FAULT) {
            rc = iapt_error_set(IAPT_EREFUSED, "%s", c.diag);
            break;
        }
        if (o == S_TIMEOUT || iapt_clock_ms() >= c.deadline) {
            if (c.diag_state == IAPT_CONN_UNREACHABLE)
                rc = iapt_error_set(IAPT_ETIMEOUT,
                                    "deadline passed with submissions still pending: %s", c.diag);
            else
                rc =
                    iapt_error_set(IAPT_ETIMEOUT, "deadline passed with submissions still pending");
            break;
        }
        s_sleep_ms(backoff);
        if (backoff < 8000)
            backoff *= 2;
    }
out:
    if (seqs) {
        report->pending = 0;
        for (size_t j = 0; j < n; j++) {
            Iapt__OutboxEntry *e = NULL;
            if (iapt_outbox_get(ob, seqs[j], &e) == 0) {
                report->pending += e->state == IAPT__OUTBOX_STATE__OUTBOX_PENDING;
                iapt__outbox_entry__free_unpacked(e, NULL);
            }
        }
    }
    free(seqs);
    if (c.capture)
        fclose(c.capture);
    if (c.zctx)
        zmq_ctx_term(c.zctx);
    return rc;
}
