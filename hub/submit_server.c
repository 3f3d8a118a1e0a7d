/* submit_server.c - the submit endpoint: a ROUTER socket drained in batches,
 * each batch handled in one LMDB write transaction (one child transaction per
 * message, so one bad message never undoes another's work) and committed
 * before any reply goes out: group commit, durable before acknowledged. */
#include "common/err.h"
#include "common/log.h"
#include "common/wire.h"
#include "hub/hub.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <zmq.h>

#define S_BATCH_MAX 64
#define S_BATCH_BYTES (32u << 20)
#define S_RID_MAX 256

typedef struct {
    uint8_t rid[S_RID_MAX];
    size_t rid_len;
    zmq_msg_t body;
    int ok;   /* a well-formed two-frame message */
    int busy; /* over the queued-bytes cap: refused without decoding */
    size_t busy_size;
    char user_id[128]; /* the connection's ZAP user id, kept when busy */
    iapt_buf_t reply;
} s_item_t;

/* Messages up to this size are always taken into a batch (Open, Close,
 * Ping, small chunks): a flood of large chunks cannot starve them. At most
 * S_BATCH_MAX of them, so they add at most S_BATCH_MAX * S_SMALL bytes. */
#define S_SMALL (64u << 10)

/* Receive one message without blocking: 1 got, 0 none, -1 error. */
static int
s_recv(void *sock, s_item_t *it)
{
    zmq_msg_t part;
    zmq_msg_init(&part);
    if (zmq_msg_recv(&part, sock, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&part);
        return errno == EAGAIN ? 0 : -1;
    }
    it->ok = 0;
    it->rid_len = zmq_msg_size(&part) <= S_RID_MAX ? zmq_msg_size(&part) : 0;
    memcpy(it->rid, zmq_msg_data(&part), it->rid_len);
    int more = zmq_msg_more(&part);
    zmq_msg_close(&part);
    zmq_msg_init(&it->body);
    if (!more)
        return 1;
    if (zmq_msg_recv(&it->body, sock, 0) < 0)
        return -1;
    it->ok = 1;
    /* A DEALER sends one frame; anything more is not ours: drain it. */
    while (zmq_msg_more(&it->body)) {
        it->ok = 0;
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        zmq_msg_recv(&extra, sock, 0);
        int m = zmq_msg_more(&extra);
        zmq_msg_close(&extra);
        if (!m)
            break;
    }
    return 1;
}

/* Handle one message in a child transaction of `txn`. Returns 0, or
 * IAPT_EFULL when the whole batch must be retried on a larger map. */
static int
s_handle(iapt_hub_t *hub, iapt_ingest_t *ing, const iapt_registry_t *reg, MDB_txn *txn,
         s_item_t *it)
{
    int rc;
    it->reply.len = 0;
    if (!it->ok)
        return iapt_ingest_refuse(&it->reply, NULL, IAPT__REFUSE_CODE__REFUSE_MALFORMED, 1,
                                  "expected exactly one frame per message");
    const iapt_registry_entry_t *peer =
        iapt_hub_peer(reg, it->busy ? it->user_id : zmq_msg_gets(&it->body, "User-Id"));
    if (!peer)
        return iapt_ingest_refuse(&it->reply, NULL, IAPT__REFUSE_CODE__REFUSE_NOT_REGISTERED, 1,
                                  "this key is no longer in the registry");
    if (it->busy)
        return iapt_ingest_refuse(&it->reply, NULL, IAPT__REFUSE_CODE__REFUSE_BUSY, 0,
                                  "the hub holds %zu MB of messages waiting to be handled (its "
                                  "limit, max-queued-mb); this message of %zu bytes was dropped: "
                                  "send it again later",
                                  hub->cfg.max_queued >> 20, it->busy_size);
    Iapt__Envelope *env = NULL;
    rc = iapt_wire_unpack(zmq_msg_data(&it->body), zmq_msg_size(&it->body),
                          hub->cfg.limits.max_message, &env);
    if (rc < 0) {
        iapt_log_warn("%s sent a bad message: %s", peer->org, iapt_error_detail());
        return iapt_ingest_refuse(&it->reply, NULL,
                                  rc == IAPT_ELIMIT     ? IAPT__REFUSE_CODE__REFUSE_TOO_LARGE
                                  : rc == IAPT_EVERSION ? IAPT__REFUSE_CODE__REFUSE_VERSION
                                                        : IAPT__REFUSE_CODE__REFUSE_MALFORMED,
                                  1, "%s", iapt_error_detail());
    }
    if (env->body_case == IAPT__ENVELOPE__BODY_PING) {
        /* A connection check: answered for any registered key, nothing stored. */
        rc = iapt_hub_pong(hub, peer, "submit", &it->reply);
        iapt__envelope__free_unpacked(env, NULL);
        return rc;
    }
    MDB_txn *child = NULL;
    int mrc = mdb_txn_begin(hub->st->env, txn, 0, &child);
    if (mrc) {
        rc = iapt_store_err(mrc, "child transaction");
    } else {
        rc = iapt_ingest_handle(ing, child, peer, env, &it->reply);
        if (rc == 0) {
            mrc = mdb_txn_commit(child);
            rc = mrc ? iapt_store_err(mrc, "child commit") : 0;
        } else {
            mdb_txn_abort(child);
        }
    }
    iapt__envelope__free_unpacked(env, NULL);
    if (rc == IAPT_EFULL)
        return rc;
    if (rc < 0) {
        iapt_log_error("%s: could not handle a message: %s", peer->org, iapt_error_detail());
        return iapt_ingest_refuse(&it->reply, NULL, IAPT__REFUSE_CODE__REFUSE_INTERNAL, 0,
                                  "the hub could not store this; try again later");
    }
    return 0;
}

/* Handle a batch in one transaction; on a full map, grow and do it again
 * (every reply is recomputed: nothing was committed). */
static void
s_batch(iapt_hub_t *hub, iapt_ingest_t *ing, s_item_t *items, int n)
{
    for (int attempt = 0;; attempt++) {
        iapt_registry_t *reg = iapt_hub_registry(hub);
        MDB_txn *txn = NULL;
        int rc = iapt_store_write_begin(hub->st, &txn);
        for (int i = 0; i < n && rc == 0; i++)
            rc = s_handle(hub, ing, reg, txn, &items[i]);
        if (rc == 0) {
            rc = iapt_store_commit(hub->st, &txn);
        } else {
            iapt_store_abort(&txn);
        }
        iapt_registry_release(&reg);
        if (rc == IAPT_EFULL && attempt < 8 && iapt_store_grow(hub->st) == 0)
            continue;
        if (rc < 0) {
            iapt_log_error("batch of %d messages not stored: %s", n, iapt_error_detail());
            for (int i = 0; i < n; i++)
                iapt_ingest_refuse(&items[i].reply, NULL, IAPT__REFUSE_CODE__REFUSE_INTERNAL, 0,
                                   "the hub could not store this (%s); try again later",
                                   rc == IAPT_EFULL ? "store full" : "storage error");
        }
        return;
    }
}

/* Forget transfers opened over abandon-days ago and never closed. */
static int
s_expire(iapt_hub_t *hub)
{
    MDB_txn *txn = NULL;
    size_t expired = 0;
    int64_t older_than = iapt_now() - (int64_t)(hub->cfg.abandon_days * 86400.0);
    int rc;
    if ((rc = iapt_store_write_begin(hub->st, &txn)) < 0 ||
        (rc = iapt_ingest_expire(hub->st, txn, older_than, &expired)) < 0 ||
        (rc = iapt_store_commit(hub->st, &txn)) < 0) {
        iapt_store_abort(&txn);
        return rc;
    }
    if (expired)
        iapt_log_info("forgot %zu transfers abandoned for over %g days", expired,
                      hub->cfg.abandon_days);
    return 0;
}

static int
s_signals(iapt_hub_t *hub, int sfd)
{
    struct signalfd_siginfo si;
    while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGHUP) {
            iapt_hub_reload(hub);
        } else {
            iapt_log_info("signal %u: stopping", si.ssi_signo);
            return 1;
        }
    }
    return 0;
}

int
iapt_submit_serve(iapt_hub_t *hub, int sfd)
{
    int rc = 0;
    iapt_ingest_t *ing = NULL;
    s_item_t *items = calloc(S_BATCH_MAX, sizeof *items);
    void *sock = zmq_socket(hub->zctx, ZMQ_ROUTER);
    if (!items || !sock) {
        rc = iapt_error_set(IAPT_EZMQ, "submit socket: %s", zmq_strerror(errno));
        goto out;
    }
    /* libzmq's queue per connection, in messages: a quarter of max-queued
     * in the largest messages, at least 2, and never more than a node may
     * have in flight (window chunks, its Open and Close). What arrives
     * beyond waits in the kernel's TCP buffers (back-pressure on the
     * sender), not in the hub's memory. */
    int one = 1, zero = 0;
    int hwm = (int)(hub->cfg.max_queued / (4 * hub->cfg.limits.max_message));
    if (hwm < 2)
        hwm = 2;
    if (hwm > (int)hub->cfg.limits.window + 4)
        hwm = (int)hub->cfg.limits.window + 4;
    /* Messages above twice the limit cost a disconnect rather than memory;
     * those between get a refusal with the reason. */
    int64_t maxmsg = (int64_t)hub->cfg.limits.max_message * 2;
    zmq_setsockopt(sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if ((rc = iapt_wire_curve_server(sock, hub->id, IAPT_ZAP_DOMAIN_SUBMIT)) < 0)
        goto out;
    if (zmq_bind(sock, hub->cfg.submit_endpoint) < 0) {
        rc =
            iapt_error_set(IAPT_EZMQ, "bind %s: %s", hub->cfg.submit_endpoint, zmq_strerror(errno));
        goto out;
    }
    if ((rc = iapt_ingest_new(hub->st, hub->id, hub->cfg.name, &hub->tables, &hub->cfg.limits,
                              &ing)) < 0)
        goto out;
    iapt_log_info("submit endpoint %s, query endpoint %s, log %s", hub->cfg.submit_endpoint,
                  hub->cfg.query_endpoint, hub->cfg.name);

    /* Transfers nobody came back for would hold their records for ever:
     * forgotten at start-up and every expire-interval-s while serving. */
    if ((rc = s_expire(hub)) < 0)
        goto out;
    int64_t next_expiry = iapt_clock_ms() + (int64_t)hub->cfg.expire_interval_s * 1000;

    while (!atomic_load(&hub->stop)) {
        if (iapt_clock_ms() >= next_expiry) {
            if (s_expire(hub) < 0) /* logged; the next interval tries again */
                iapt_log_error("expiring abandoned transfers failed: %s", iapt_error_detail());
            next_expiry = iapt_clock_ms() + (int64_t)hub->cfg.expire_interval_s * 1000;
        }
        zmq_pollitem_t items_poll[2] = {{sock, 0, ZMQ_POLLIN, 0}, {NULL, sfd, ZMQ_POLLIN, 0}};
        if (zmq_poll(items_poll, 2, 1000) < 0) {
            if (errno == EINTR)
                continue;
            rc = iapt_error_set(IAPT_EZMQ, "poll: %s", zmq_strerror(errno));
            break;
        }
        if ((items_poll[1].revents & ZMQ_POLLIN) && s_signals(hub, sfd))
            break;
        /* Take what is waiting into one batch. Its messages and their
         * decoded copies must fit in max-queued-mb: half for the raw
         * bytes, half for decoding. A large message past that is refused
         * BUSY without being decoded (its memory is freed at once), so a
         * flood costs the flooder retries and the hub nothing. */
        int n = 0, refused = 0;
        size_t bytes = 0, budget = hub->cfg.max_queued / 2;
        if (budget > S_BATCH_BYTES)
            budget = S_BATCH_BYTES;
        while (n < S_BATCH_MAX) {
            int r = s_recv(sock, &items[n]);
            if (r <= 0)
                break;
            size_t sz = zmq_msg_size(&items[n].body);
            items[n].busy = 0;
            if (sz > S_SMALL && bytes + sz > budget) {
                /* Free the body now; the refusal needs only the User-Id. */
                const char *uid = zmq_msg_gets(&items[n].body, "User-Id");
                iapt_strlcpy(items[n].user_id, uid ? uid : "", sizeof items[n].user_id);
                items[n].busy = 1;
                items[n].busy_size = sz;
                zmq_msg_close(&items[n].body);
                zmq_msg_init(&items[n].body);
                refused++;
            } else {
                bytes += sz;
            }
            n++;
        }
        if (refused)
            iapt_log_debug("%d messages refused busy (batch holds %zu bytes)", refused, bytes);
        if (n == 0)
            continue;
        s_batch(hub, ing, items, n);
        for (int i = 0; i < n; i++) {
            if (items[i].reply.len &&
                (zmq_send(sock, items[i].rid, items[i].rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
                 zmq_send(sock, items[i].reply.data, items[i].reply.len, ZMQ_DONTWAIT) < 0))
                iapt_log_debug("reply not sent (peer gone): %s", zmq_strerror(errno));
            zmq_msg_close(&items[i].body);
        }
    }
out:
    if (items) {
        for (int i = 0; i < S_BATCH_MAX; i++)
            iapt_buf_free(&items[i].reply);
        free(items);
    }
    iapt_ingest_destroy(&ing);
    if (sock)
        zmq_close(sock);
    return rc;
}
