/* bench_extract - read + validate + anonymise + serialize one large provider
 * month: a synthetic extract written to a temporary directory (10k open
 * referrals, ~100k appointments and activities, ~130k scores, problems,
 * employment records), timed best of 3 on one thread; then what `iapt-node
 * submit` does next, timed once: the records' Merkle root, the signed
 * manifest and the outbox transaction (committed, synced) in a fresh outbox.
 *
 *   bench_extract [REFERRALS [DIR]]
 *
 * With DIR the extract is written there and kept (for profiling, or for
 * trying `iapt-node check` on a large month); otherwise a temporary
 * directory is used and removed.
 *
 * The generator is a fixed-seed LCG, so every run reads the same bytes. */
#include "common/date.h"
#include "common/err.h"
#include "common/keys.h"
#include "common/sign.h"
#include "common/util.h"
#include "node/extract.h"
#include "node/outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t s_state = 0x2545F4914F6CDD1DULL;

static uint32_t
s_rand(uint32_t n)
{
    s_state = s_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)((s_state >> 33) % n);
}

static void
s_date(char out[11], int32_t day)
{
    iapt_date_format(day, out);
}

/* A valid NHS number from a 9-digit seed (modulus 11), or "" when the seed
 * has no valid check digit. */
static void
s_nhs(uint32_t seed, char out[11])
{
    snprintf(out, 11, "%09u", 100000000u + seed % 800000000u);
    int sum = 0;
    for (int i = 0; i < 9; i++)
        sum += (out[i] - '0') * (10 - i);
    int c = 11 - sum % 11;
    if (c == 11)
        c = 0;
    if (c == 10) {
        out[0] = 0;
        return;
    }
    out[9] = (char)('0' + c);
    out[10] = 0;
}

static int
s_write(const char *dir, const char *name, const iapt_buf_t *b)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.csv", dir, name);
    return iapt_file_write_atomic(path, b->data, b->len, 0600);
}

static const char *const s_names[] = {
    "IDS000Header",
    "IDS001MPI",
    "IDS101Referral",
    "IDS201CareContact",
    "IDS202CareActivity",
    "IDS603PresentingComplaints",
    "IDS606CodedScoreAssessmentRefer",
    "IDS607CodedScoreAssessmentAct",
    "IDS004EmpStatus",
    "IDS602LongTermCondition",
};

/* Write the synthetic month; returns total rows and bytes. */
static int
s_generate(const char *dir, const iapt_period_t *p, int n_ref, uint64_t *rows, uint64_t *bytes)
{
    iapt_buf_t b[10];
    char d1[11], d2[11], nhs[11];
    static const char *const app[] = {"01", "02", "02", "02", "03", "05", "06"};
    static const char *const att[] = {"5", "5", "5", "6", "2", "3", "4"};
    static const char *const therapy[] = {"304891004", "228557008", "286711000000107",
                                          "748051000000105", "449030000"};
    static const char *const problems[] = {"F32", "F411", "F412", "F431", "F42", "F401"};
    int n_pat = n_ref, rc = 0;
    uint64_t contacts = 0, acts = 0;

    for (int i = 0; i < 10; i++)
        b[i] = (iapt_buf_t)IAPT_BUF_INIT;
    s_date(d1, p->start);
    s_date(d2, p->end);
    iapt_buf_printf(&b[0],
                    "OrgIDProv,ReportingPeriodStartDate,ReportingPeriodEndDate,"
                    "DateTimeDatSetCreate,PrimSystemInUse\nRAT,%s,%s,,IAPTus\n",
                    d1, d2);
    iapt_buf_printf(&b[1], "LocalPatientId,NHSNumber,PersonBirthDate,Postcode,GenderIdentity,"
                           "EthnicCategory\n");
    iapt_buf_printf(&b[2],
                    "ServiceRequestId,LocalPatientId,OrgIDComm,"
                    "ReferralRequestReceivedDate,SourceOfReferralIAPT,ServDischDate,EndCode\n");
    iapt_buf_printf(&b[3], "CareContactId,ServiceRequestId,CareContDate,AppType,AttendOrDNACode,"
                           "ConsMechanism\n");
    iapt_buf_printf(&b[4], "CareActId,CareContactId,CodeProcAndProcStatus\n");
    iapt_buf_printf(&b[5], "ServiceRequestId,PresComp,PresCompCodSig,PresCompDate\n");
    iapt_buf_printf(&b[6], "ServiceRequestId,CodedAssToolType,PersScore,AssToolCompDate\n");
    iapt_buf_printf(&b[7], "CareActId,CodedAssToolType,PersScore\n");
    iapt_buf_printf(&b[8],
                    "LocalPatientId,EmployStatusRecDate,EmployStatus,SSPInd,BenefitRecInd\n");
    iapt_buf_printf(&b[9], "LocalPatientId,LongTermCondition\n");

    for (int i = 0; i < n_pat; i++) {
        s_nhs((uint32_t)i * 7919u + 13u, nhs);
        s_date(d1, p->start - 365 * 18 - (int32_t)s_rand(365 * 60));
        iapt_buf_printf(&b[1], "PAT%07d,%s,%s,NE%u %u%c%c,%c,%c\n", i, nhs, d1, 1 + s_rand(30),
                        s_rand(10), 'A' + s_rand(26), 'A' + s_rand(26), "12XZ"[s_rand(4)],
                        "ABCHJMNRSZ"[s_rand(10)]);
        if (s_rand(4) == 0)
            iapt_buf_printf(&b[9], "PAT%07d,E11\n", i);
        for (int k = 0; k < 2; k++) {
            s_date(d1, p->start - (int32_t)s_rand(200));
            iapt_buf_printf(&b[8], "PAT%07d,%s,0%u,%c,%c\n", i, d1, 1 + s_rand(8), "YN"[s_rand(2)],
                            "YN"[s_rand(2)]);
        }
    }
    for (int r = 0; r < n_ref; r++) {
        int32_t received = p->start - 10 - (int32_t)s_rand(150);
        int discharged = s_rand(5) == 0;
        int32_t disch = p->start + (int32_t)s_rand((uint32_t)p->length);
        s_date(d1, received);
        s_date(d2, disch);
        iapt_buf_printf(&b[2], "REF%08d,PAT%07d,0%c%c,%s,%s,%s,%s\n", r, r % n_pat,
                        'A' + s_rand(26), 'A' + s_rand(26), d1, s_rand(2) ? "B1" : "A1",
                        discharged ? d2 : "", discharged ? "46" : "");
        s_date(d1, received + 3);
        iapt_buf_printf(&b[5], "REF%08d,%s,1,%s\n", r, problems[s_rand(6)], d1);
        iapt_buf_printf(&b[6], "REF%08d,720433000,%u,%s\nREF%08d,445455005,%u,%s\n", r, s_rand(28),
                        d1, r, s_rand(22), d1);
        int n_con = 8 + (int)s_rand(5); /* about 10 */
        for (int c = 0; c < n_con; c++, contacts++) {
            int32_t day = received + 7 + c * 14 + (int32_t)s_rand(5);
            if (discharged && day > disch)
                day = disch;
            s_date(d1, day);
            int a = (int)s_rand(7);
            iapt_buf_printf(&b[3], "CON%09llu,REF%08d,%s,%s,%s,0%u\n", (unsigned long long)contacts,
                            r, d1, app[a], att[a], 1 + s_rand(2));
            iapt_buf_printf(&b[4], "ACT%09llu,CON%09llu,%s\n", (unsigned long long)acts,
                            (unsigned long long)contacts, therapy[s_rand(5)]);
            if (att[a][0] == '5' || att[a][0] == '6')
                iapt_buf_printf(&b[7], "ACT%09llu,720433000,%u\nACT%09llu,445455005,%u.5\n",
                                (unsigned long long)acts, s_rand(28), (unsigned long long)acts,
                                s_rand(21));
            acts++;
        }
    }
    *rows = 0;
    *bytes = 0;
    for (int i = 0; i < 10 && rc == 0; i++) {
        rc = s_write(dir, s_names[i], &b[i]);
        *bytes += b[i].len;
        for (size_t k = 0; k < b[i].len; k++)
            *rows += b[i].data[k] == '\n';
        *rows -= 1;
    }
    for (int i = 0; i < 10; i++)
        iapt_buf_free(&b[i]);
    return rc;
}

/* Prepare the extract's submission in a fresh outbox, as iapt-node submit
 * does after reading; milliseconds, or -1. */
static double
s_store(const iapt_extract_t *ext, const iapt_period_t *period, const iapt_pseudokey_t *key)
{
    char dir[512], path[600];
    iapt_identity_t *id = NULL;
    iapt_outbox_t *ob = NULL;
    double ms = -1;
    snprintf(dir, sizeof dir, "%s/iapt-bench-outbox-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir))
        return -1;
    if (iapt_identity_generate("RAT", "provider", &id) == 0 &&
        iapt_outbox_open(dir, "RAT", &ob) == 0) {
        iapt_submission_input_t in = {0};
        in.period = period->text;
        in.n_records = ext->n_records;
        in.record = (const uint8_t *const *)ext->record;
        in.record_len = ext->record_len;
        in.quality = ext->quality;
        in.pseudo_key_id = key->id;
        uint64_t seq;
        uint8_t sid[32];
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int rc = iapt_outbox_prepare(ob, id, &in, &seq, sid);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (rc == 0)
            ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        else
            fprintf(stderr, "bench_extract: outbox: %s\n", iapt_error_detail());
    }
    iapt_outbox_close(&ob);
    iapt_identity_destroy(&id);
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unlink(path);
    rmdir(dir);
    return ms;
}

int
main(int argc, char **argv)
{
    int n_ref = argc > 1 ? atoi(argv[1]) : 10000;
    iapt_period_t period;
    iapt_pseudokey_t *key = NULL;
    uint64_t rows, bytes;
    char dir[512];
    int rc;

    if (n_ref < 1 || n_ref > 10000000 || iapt_crypto_init() < 0)
        return 2;
    const char *keep = argc > 2 ? argv[2] : NULL;
    if (keep)
        snprintf(dir, sizeof dir, "%s", keep);
    else
        snprintf(dir, sizeof dir, "%s/iapt-bench-XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if ((keep ? iapt_mkdir_p(dir, 0700) < 0 : !mkdtemp(dir)) || iapt_pseudokey_generate(&key) < 0)
        return 2;
    iapt_period_make(2024, 5, &period);
    if ((rc = s_generate(dir, &period, n_ref, &rows, &bytes)) < 0) {
        fprintf(stderr, "bench_extract: %s\n", iapt_error_detail());
        return 1;
    }
    iapt_extract_options_t opt = {
        .dir = dir,
        .period = &period,
        .org = "RAT",
        .key = key,
        .today = period.end + 5,
    };
    int64_t best = -1;
    size_t records = 0, findings = 0;
    iapt_extract_t *ext = NULL;
    for (int run = 0; run < 3; run++) {
        iapt_extract_destroy(&ext);
        int64_t t0 = iapt_clock_ms();
        rc = iapt_extract_read(&opt, &ext);
        int64_t ms = iapt_clock_ms() - t0;
        if (rc < 0) {
            fprintf(stderr, "bench_extract: %s: %s\n", iapt_strerror(rc), iapt_error_detail());
            break;
        }
        records = ext->n_records;
        findings = ext->n_findings;
        if (best < 0 || ms < best)
            best = ms;
    }
    double store_ms = ext ? s_store(ext, &period, key) : -1;
    iapt_extract_destroy(&ext);
    for (int i = 0; i < 10 && !keep; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.csv", dir, s_names[i]);
        unlink(path);
    }
    if (!keep)
        rmdir(dir);
    iapt_pseudokey_destroy(&key);
    if (rc < 0)
        return 1;
    printf("bench_extract: %d referrals, %llu rows, %.1f MB in 10 files\n", n_ref,
           (unsigned long long)rows, (double)bytes / 1e6);
    printf("bench_extract: read+validate+anonymise+serialize, best of 3: %lld ms, "
           "%zu records, %.0f records/s, %.0f rows/s, %zu findings\n",
           (long long)best, records, best > 0 ? records * 1000.0 / (double)best : 0.0,
           best > 0 ? (double)rows * 1000.0 / (double)best : 0.0, findings);
    if (store_ms >= 0)
        printf("bench_extract: sign + outbox store (Merkle root, Ed25519 manifest, LMDB commit): "
               "%.1f ms, %zu records\n",
               store_ms, records);
    return store_ms >= 0 ? 0 : 1;
}
