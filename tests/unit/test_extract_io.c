/* Unit tests of node/extract as a whole: extracts refused as a whole,
 * hostile CSV (huge fields, endless rows, broken bytes), reading from a
 * directory, the reports, and `iapt-node check` (exit codes, --config). */
#include "tests/unit/extract_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* Expect a refusal whose detail contains `want`. */
static void
s_refused(const fx_extract_t *e, const char *want, int line)
{
    iapt_extract_options_t o = fx_options();
    iapt_extract_t *ext = NULL;
    int rc = fx_read_opt(e, &o, &ext);
    if (rc != IAPT_EREFUSED || !strstr(iapt_error_detail(), want))
        fprintf(stderr, "line %d: rc %d detail '%s', wanted '%s'\n", line, rc, iapt_error_detail(),
                want);
    CHECK_EQ_INT(rc, IAPT_EREFUSED);
    CHECK(strstr(iapt_error_detail(), want) != NULL);
    CHECK(ext == NULL);
    iapt_extract_destroy(&ext);
}

#define REFUSED(e, want) s_refused(e, want, __LINE__)

static void
test_refused_files(void)
{
    fx_extract_t e = {.mpi = MPI, .ref = REF};
    REFUSED(&e, "IDS000Header.csv: required file missing");
    e = (fx_extract_t){.hdr = HDR, .ref = REF};
    REFUSED(&e, "IDS001MPI.csv: required file missing");
    e = (fx_extract_t){.hdr = HDR, .mpi = MPI};
    REFUSED(&e, "IDS101Referral.csv: required file missing");
    e = (fx_extract_t){.hdr = HDR, .mpi = "", .ref = REF};
    REFUSED(&e, "IDS001MPI.csv: empty file, no header row");
    e = (fx_extract_t){.hdr = HDR, .mpi = "\n\n", .ref = REF};
    REFUSED(&e, "IDS001MPI.csv: empty file, no header row");
    /* An optional file that is empty is an empty table. */
    e = (fx_extract_t){.hdr = HDR, .mpi = MPI, .ref = REF, .con = ""};
    iapt_extract_t *ext = fx_read(&e);
    CHECK(ext && ext->n_records == 1);
    iapt_extract_destroy(&ext);
}

static void
test_refused_header(void)
{
    fx_extract_t e = {.mpi = MPI, .ref = REF};
    e.hdr = HDR_COLS;
    REFUSED(&e, "IDS000Header.csv: 0 data rows");
    e.hdr = HDR "RAT,2024-05-01,2024-05-31,\n";
    REFUSED(&e, "IDS000Header.csv: 2 data rows");
    e.hdr = HDR_COLS "RAX,2024-05-01,2024-05-31,\n";
    REFUSED(&e, "IDS000Header.csv:2: OrgIDProv is 'RAX', this node is 'RAT'");
    e.hdr = HDR_COLS ",2024-05-01,2024-05-31,\n";
    REFUSED(&e, "OrgIDProv is '', this node is 'RAT'");
    e.hdr = HDR_COLS "rat,2024-05-01,2024-05-31,\n";
    REFUSED(&e, "OrgIDProv is 'rat'");
    e.hdr = HDR_COLS "RAT,2024-04-01,2024-05-31,\n";
    REFUSED(&e, "ReportingPeriodStartDate is not 2024-05-01");
    e.hdr = HDR_COLS "RAT,2024-05-01,2024-05-30,\n";
    REFUSED(&e, "ReportingPeriodEndDate is not 2024-05-31");
    e.hdr = HDR_COLS "RAT,2024-05-01,2024-05-32,\n";
    REFUSED(&e, "ReportingPeriodEndDate is not 2024-05-31");
    e.hdr = HDR_COLS "RAT,2024-05-01,2024-05-31\n";
    REFUSED(&e, "IDS000Header.csv:2: the header row's cells do not match");
    e.hdr = "ReportingPeriodStartDate,ReportingPeriodEndDate\n2024-05-01,2024-05-31\n";
    REFUSED(&e, "IDS000Header.csv:1: required column 'OrgIDProv' missing");
    /* Blank lines around the one row are not rows. */
    e.hdr = "\n" HDR_COLS "\nRAT,2024-05-01,2024-05-31,\n\n";
    iapt_extract_t *ext = fx_read(&e);
    CHECK(ext && ext->n_records == 1);
    iapt_extract_destroy(&ext);
}

static void
test_refused_columns(void)
{
    fx_extract_t e = {.hdr = HDR, .mpi = MPI, .ref = REF};
    e.ref =
        "ServiceRequestId,LocalPatientId,OrgIDComm,SourceOfReferralIAPT,ServDischDate,EndCode\n";
    REFUSED(&e, "IDS101Referral.csv:1: required column 'ReferralRequestReceivedDate' missing");
    /* EndCode is R: its column is required too. */
    e.ref = "ServiceRequestId,LocalPatientId,OrgIDComm,ReferralRequestReceivedDate\n";
    REFUSED(&e, "required column 'EndCode' missing");
    e.ref = REF;
    e.mpi = "LocalPatientId,PersonBirthDate\nP1,1980-01-01\n";
    REFUSED(&e, "IDS001MPI.csv:1: required column 'NHSNumber' missing");
    e.mpi = MPI;
    e.con = "CareContactId,ServiceRequestId,CareContDate,AttendOrDNACode\n";
    REFUSED(&e, "IDS201CareContact.csv:1: required column 'AppType' missing");
    e.con = "CareContactId,ServiceRequestId,CareContDate,AppType,AttendOrDNACode,AppType\n";
    REFUSED(&e, "IDS201CareContact.csv:1: column 'AppType' appears twice");
    /* Optional columns may be absent; unknown ones are ignored. */
    e.con = "Notes,CareContactId,ServiceRequestId,CareContDate,AppType,AttendOrDNACode\n"
            "x,C1,R1,2024-05-02,02,5\n";
    iapt_extract_t *ext = fx_read(&e);
    CHECK(ext && ext->n_records == 1);
    Iapt__PathwayRecord *r = fx_record(ext, "R1");
    CHECK(r && r->n_appointments == 1 && r->appointments[0]->mechanism == NULL);
    fx_free_record(r);
    iapt_extract_destroy(&ext);
}

static void
test_refused_structure(void)
{
    fx_extract_t e = {.hdr = HDR, .mpi = MPI, .ref = REF};
    e.con = CON_COLS "C1,R1,2024-05-02,02,5,\nC2,R1,\"2024-05-02,02,5,\n";
    REFUSED(&e, "IDS201CareContact.csv:3: unterminated quoted field");
    /* strlen stops at the NUL: write the bytes out by hand. */
    static const char nul[] = CON_COLS "C1,R1,2024-05-02,02,5,\nC2,R1,x\0y,02,5,\n";
    iapt_extract_file_t files[] = {
        {"IDS000Header", HDR, strlen(HDR)},
        {"IDS001MPI", MPI, strlen(MPI)},
        {"IDS101Referral", REF, strlen(REF)},
        {"IDS201CareContact", nul, sizeof nul - 1},
    };
    iapt_extract_options_t o = fx_options();
    iapt_extract_t *ext = NULL;
    CHECK_EQ_INT(iapt_extract_read_mem(&o, files, 4, &ext), IAPT_EREFUSED);
    CHECK(strstr(iapt_error_detail(), "IDS201CareContact.csv:3: NUL byte") != NULL);
    e.con = CON_COLS "C1,R1,2024-05-02,02,5,\n\xC3\x28,R1,2024-05-02,02,5,\n";
    REFUSED(&e, "IDS201CareContact.csv:3: invalid UTF-8");
    e.con = CON_COLS "C1,R1,2024-05-02,02,5,\nC2,R1,2024\"-05-02,02,5,\n";
    REFUSED(&e, "IDS201CareContact.csv:3: quote inside an unquoted field");
    e.con = NULL;
    e.mpi = MPI_COLS "P1," NHS1 ",1980-03-15,,,\r";
    REFUSED(&e, "IDS001MPI.csv:2: carriage return without line feed");

    /* More than 256 columns. */
    iapt_buf_t b = IAPT_BUF_INIT;
    iapt_buf_printf(&b, "%s", REF_COLS);
    for (int i = 0; i < 300; i++)
        iapt_buf_printf(&b, "x%d,", i);
    iapt_buf_printf(&b, "\n");
    e = (fx_extract_t){.hdr = HDR, .mpi = MPI, .ref = (const char *)b.data};
    REFUSED(&e, "IDS101Referral.csv:2: more fields in a row than the limit");
    iapt_buf_free(&b);

    /* Unknown table names and tables given twice are caller errors. */
    iapt_extract_file_t twice[] = {{"IDS000Header", HDR, strlen(HDR)},
                                   {"IDS000Header", HDR, strlen(HDR)}};
    CHECK_EQ_INT(iapt_extract_read_mem(&o, twice, 2, &ext), IAPT_EUSAGE);
    iapt_extract_file_t unknown[] = {{"IDS999Nothing", HDR, strlen(HDR)}};
    CHECK_EQ_INT(iapt_extract_read_mem(&o, unknown, 1, &ext), IAPT_EUSAGE);
    o.key = NULL;
    e = (fx_extract_t){.hdr = HDR, .mpi = MPI, .ref = REF};
    CHECK_EQ_INT(fx_read_opt(&e, &o, &ext), IAPT_EUSAGE);
}

static void
test_hostile_huge_field(void)
{
    /* A 100 MB field, never written: the reader stops at 64 KiB, so only
     * the pages before that are ever touched. */
    size_t size = 100u << 20, head = strlen(REF_COLS);
    char *big = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(big != MAP_FAILED);
    if (big == MAP_FAILED)
        return;
    memcpy(big, REF_COLS, head);
    memset(big + head, 'A', 80 * 1024);
    iapt_extract_file_t files[] = {
        {"IDS000Header", HDR, strlen(HDR)},
        {"IDS001MPI", MPI, strlen(MPI)},
        {"IDS101Referral", big, size},
    };
    iapt_extract_options_t o = fx_options();
    iapt_extract_t *ext = NULL;
    int64_t t0 = iapt_clock_ms();
    CHECK_EQ_INT(iapt_extract_read_mem(&o, files, 3, &ext), IAPT_EREFUSED);
    CHECK(strstr(iapt_error_detail(), "IDS101Referral.csv:2: field longer than the limit") != NULL);
    CHECK(iapt_clock_ms() - t0 < 2000);
    munmap(big, size);

    /* An id over 64 bytes is a finding, not an overrun. */
    char ref[1024];
    char id[300];
    memset(id, 'X', 299);
    id[299] = 0;
    snprintf(ref, sizeof ref, REF_COLS "%s,P1,00L,2024-05-02,,,\nR2,%s,00L,2024-05-02,,,\n", id,
             id);
    fx_extract_t e = {.hdr = HDR, .mpi = MPI, .ref = ref};
    ext = fx_read(&e);
    CHECK(ext != NULL);
    CHECK(fx_finding(ext, "IDS101Referral", 2, "ServiceRequestId", "too-long") != NULL);
    CHECK(fx_finding(ext, "IDS101Referral", 3, "LocalPatientId", "too-long") != NULL);
    CHECK(ext && ext->n_records == 0);
    iapt_extract_destroy(&ext);
}

static void
test_hostile_row_limits(void)
{
    /* Per-file row limit (header included). */
    iapt_buf_t b = IAPT_BUF_INIT;
    iapt_buf_printf(&b, "%s", CON_COLS);
    for (int i = 0; i < 5000; i++)
        iapt_buf_printf(&b, "C%d,R1,2024-05-02,02,5,\n", i);
    fx_extract_t e = {.hdr = HDR, .mpi = MPI, .ref = REF, .con = (const char *)b.data};
    iapt_csv_limits_t lim = {0, 0, 1000};
    iapt_extract_options_t o = fx_options();
    o.limits = &lim;
    iapt_extract_t *ext = NULL;
    CHECK_EQ_INT(fx_read_opt(&e, &o, &ext), IAPT_EREFUSED);
    CHECK(strstr(iapt_error_detail(), "IDS201CareContact.csv:1001: more rows than the limit") !=
          NULL);
    /* Rows across all files. */
    o = fx_options();
    o.max_rows = 2000;
    CHECK_EQ_INT(fx_read_opt(&e, &o, &ext), IAPT_EREFUSED);
    CHECK(strstr(iapt_error_detail(), "IDS201CareContact.csv:") != NULL);
    CHECK(strstr(iapt_error_detail(), "more rows than the limit") != NULL);
    o.max_rows = 0;
    CHECK_EQ_INT(fx_read_opt(&e, &o, &ext), 0);
    CHECK(ext && ext->n_records == 1);
    Iapt__PathwayRecord *r = fx_record(ext, "R1");
    CHECK(r && r->n_appointments == 5000);
    fx_free_record(r);
    iapt_extract_destroy(&ext);
    iapt_buf_free(&b);
}

/* A file that never ends: a FIFO fed by a child process writing rows until
 * the reader goes away. The extract stops at the row limit. */
static void
test_hostile_endless_file(void)
{
    fx_extract_t e = {.hdr = HDR, .mpi = MPI, .ref = REF};
    const char *dir = fx_write_dir(&e);
    char fifo[700];
    snprintf(fifo, sizeof fifo, "%s/IDS201CareContact.csv", dir);
    CHECK_EQ_INT(mkfifo(fifo, 0600), 0);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(20); /* never outlive the test */
        int fd = open(fifo, O_WRONLY);
        if (fd < 0)
            _exit(1);
        char row[128];
        if (write(fd, CON_COLS, strlen(CON_COLS)) < 0)
            _exit(0);
        int n;
        for (unsigned long i = 0;; i++) {
            n = snprintf(row, sizeof row, "C%lu,R1,2024-05-02,02,5,\n", i);
            if (write(fd, row, (size_t)n) < 0)
                _exit(0);
        }
    }
    iapt_csv_limits_t lim = {0, 0, 20000};
    iapt_extract_options_t o = fx_options();
    o.dir = dir;
    o.limits = &lim;
    iapt_extract_t *ext = NULL;
    CHECK_EQ_INT(iapt_extract_read(&o, &ext), IAPT_EREFUSED);
    CHECK(strstr(iapt_error_detail(), "IDS201CareContact.csv:20001: more rows than the limit") !=
          NULL);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    unlink(fifo);
    fx_rm_dir(dir);
}

static void
test_read_dir(void)
{
    fx_extract_t e = {
        .hdr = HDR,
        .mpi = MPI,
        .ref = REF,
        .con = CON_COLS "C1,R1,2024-05-02,02,5,01\n",
        .act = ACT_COLS "A1,C1,304891004\n",
        .s07 = S07_COLS "A1," PHQ9 ",14\n",
    };
    const char *dir = fx_write_dir(&e);
    iapt_extract_options_t o = fx_options();
    o.dir = dir;
    iapt_extract_t *ext = NULL, *mem = fx_read(&e);
    CHECK_EQ_INT(iapt_extract_read(&o, &ext), 0);
    CHECK(ext && mem && ext->n_records == 1 && mem->n_records == 1);
    /* A directory and memory give the same bytes. */
    if (ext && mem && ext->n_records == 1 && mem->n_records == 1) {
        CHECK_EQ_INT(ext->record_len[0], mem->record_len[0]);
        CHECK_EQ_MEM(ext->record[0], mem->record[0], mem->record_len[0]);
    }
    iapt_extract_destroy(&ext);
    iapt_extract_destroy(&mem);
    /* A structural error names the file's path and line. */
    char path[700];
    snprintf(path, sizeof path, "%s/IDS202CareActivity.csv", dir);
    CHECK_EQ_INT(iapt_file_write_atomic(path, ACT_COLS "A1,\"C1\n", strlen(ACT_COLS) + 6, 0600), 0);
    CHECK_EQ_INT(iapt_extract_read(&o, &ext), IAPT_EREFUSED);
    CHECK(strstr(iapt_error_detail(), "IDS202CareActivity.csv:2: unterminated quoted field") !=
          NULL);
    fx_rm_dir(dir);
    o.dir = "/nonexistent-extract";
    CHECK_EQ_INT(iapt_extract_read(&o, &ext), IAPT_EREFUSED);
    CHECK(strstr(iapt_error_detail(), "IDS000Header.csv: required file missing") != NULL);
}

static char *
s_report(const iapt_extract_t *ext, int json, size_t max)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    int rc = json ? iapt_extract_report_json(ext, f) : iapt_extract_report_text(ext, max, f);
    fclose(f);
    CHECK_EQ_INT(rc, 0);
    return text;
}

static void
test_reports(void)
{
    fx_extract_t e = {
        .hdr = HDR,
        .mpi = MPI_COLS "P1," NHS1 ",1980-03-15,,7,\n"
                        "P2,\"a\"\"b\nc\",1980-03-15,,,\n",
        .ref = REF_COLS "R1,P1,00L,2024-05-02,Z9,,\nR2,P1,00L,2024-05-02,Z8,,\n",
    };
    iapt_extract_t *ext = fx_read(&e);
    CHECK(ext != NULL);
    if (!ext)
        return;
    char *text = s_report(ext, 0, 2);
    CHECK(text && strstr(text, "Extract of RAT for 2024-05") != NULL);
    CHECK(text && strstr(text, "IDS001MPI.csv (2 rows, 0 rejected)") != NULL);
    CHECK(text && strstr(text, "IDS001MPI.csv:2: GenderIdentity: unknown-code \"7\"") != NULL);
    CHECK(text && strstr(text, "... and 2 more") != NULL);
    CHECK(text && strstr(text, "\"a\"") == NULL); /* the NHS number is masked */
    free(text);
    text = s_report(ext, 0, 100);
    CHECK(text && strstr(text, "more") == NULL);
    CHECK(text &&
          strstr(text, "IDS101Referral.csv:3: SourceOfReferralIAPT: unknown-code \"Z8\"") != NULL);
    free(text);
    text = s_report(ext, 1, 0);
    CHECK(text && strncmp(text, "{\"org\":\"RAT\",\"period\":\"2024-05\"", 31) == 0);
    CHECK(text && strstr(text, "\"referrals_used\":2") != NULL);
    CHECK(text && strstr(text, "{\"table\":\"IDS001MPI\",\"field\":\"NHSNumber\","
                               "\"reason\":\"bad-number\",\"count\":1}") != NULL);
    CHECK(text && strstr(text, "\"line\":3,\"field\":\"NHSNumber\"") != NULL);
    /* Masked, and no raw control characters inside strings. */
    CHECK(text && strstr(text, "\"value\":\"*\"") != NULL);
    CHECK(text && strstr(text, "a\"\"b") == NULL);
    free(text);
    iapt_extract_destroy(&ext);
}

static void
test_findings_limit(void)
{
    /* 300 referrals, each with two findings; only 50 are listed. */
    iapt_buf_t b = IAPT_BUF_INIT;
    iapt_buf_printf(&b, "%s", REF_COLS);
    for (int i = 0; i < 300; i++)
        iapt_buf_printf(&b, "R%d,P1,00L,2024-05-02,ZZ,,99\n", i);
    fx_extract_t e = {.hdr = HDR, .mpi = MPI, .ref = (const char *)b.data};
    iapt_extract_options_t o = fx_options();
    o.max_findings = 50;
    iapt_extract_t *ext = NULL;
    CHECK_EQ_INT(fx_read_opt(&e, &o, &ext), 0);
    CHECK(ext != NULL);
    if (ext) {
        CHECK_EQ_INT(ext->n_records, 300);
        CHECK_EQ_INT(ext->n_findings, 50);
        CHECK_EQ_INT(ext->findings_not_listed, 550);
        CHECK_EQ_INT(ext->quality->findings, 600);
        CHECK_EQ_INT(ext->quality->n_reasons, 2);
        for (size_t i = 0; i < ext->quality->n_reasons; i++)
            CHECK_EQ_INT(ext->quality->reasons[i]->count, 300);
        char *text = s_report(ext, 0, 10);
        CHECK(text && strstr(text, "Findings (600, in file and line order)") != NULL);
        CHECK(text && strstr(text, "... and 590 more") != NULL);
        free(text);
        text = s_report(ext, 1, 0);
        CHECK(text && strstr(text, "\"findings_not_listed\":550") != NULL);
        free(text);
    }
    iapt_extract_destroy(&ext);
    iapt_buf_free(&b);
}

/* Run iapt_node_check_main in a child with stdout and stderr to a file;
 * returns the exit status and the output (malloc'd) in *output. */
static int
s_check(char **output, const char *const *args)
{
    char out_path[700];
    snprintf(out_path, sizeof out_path, "%s/out", t_tmpdir());
    char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)"check";
    for (; *args && argc < 31; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(30);
        int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 1);
        dup2(fd, 2);
        int st = iapt_node_check_main(argc, argv);
        fflush(stdout);
        fflush(stderr);
        _exit(st);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    uint8_t *data = NULL;
    size_t len = 0;
    *output = NULL;
    if (iapt_file_read(out_path, 1 << 24, &data, &len) == 0)
        *output = (char *)data;
    unlink(out_path);
    *strrchr(out_path, '/') = 0;
    rmdir(out_path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
test_check_main(void)
{
    /* Contacts, activities and scores too: without them the plausibility
     * gate refuses the month (node/gate.h). */
    fx_extract_t e = {.hdr = HDR,
                      .mpi = MPI_COLS "P1,123,1980-03-15,NE1 1AD,,\n",
                      .ref = REF,
                      .con = CON_COLS "C1,R1,2024-05-03,02,5,01\n",
                      .act = ACT_COLS "A1,C1,304891004\n",
                      .s06 = S06_COLS "R1," PHQ9 ",12,2024-05-02\n"};
    char dir[600];
    iapt_strlcpy(dir, fx_write_dir(&e), sizeof dir);
    char *out = NULL;

    const char *ok[] = {"--extract", dir, "--period", "2024-05", "--org", "RAT", NULL};
    CHECK_EQ_INT(s_check(&out, ok), 0);
    CHECK(out && strstr(out, "used                           1") != NULL);
    CHECK(out && strstr(out, "IDS001MPI.csv:2: NHSNumber: bad-number") != NULL);
    free(out);

    const char *json[] = {"--extract=", "--period=2024-05", "--org=RAT", "--json", NULL};
    char extract_arg[700];
    snprintf(extract_arg, sizeof extract_arg, "--extract=%s", dir);
    json[0] = extract_arg;
    CHECK_EQ_INT(s_check(&out, json), 0);
    CHECK(out && strstr(out, "\"referrals_used\":1") != NULL);
    free(out);

    const char *wrong_org[] = {"--extract", dir, "--period", "2024-05", "--org", "RAX", NULL};
    CHECK_EQ_INT(s_check(&out, wrong_org), 1);
    CHECK(out && strstr(out, "OrgIDProv is 'RAT', this node is 'RAX'") != NULL);
    free(out);
    const char *wrong_period[] = {"--extract", dir,   "--period", "2024-06",
                                  "--org",     "RAT", "--json",   NULL};
    CHECK_EQ_INT(s_check(&out, wrong_period), 1);
    CHECK(out && strstr(out, "{\"submittable\":false,\"error\":\"IDS000Header.csv:2:") != NULL);
    free(out);
    const char *no_dir[] = {"--extract", "/nonexistent", "--period", "2024-05",
                            "--org",     "RAT",          NULL};
    CHECK_EQ_INT(s_check(&out, no_dir), 1);
    free(out);

    const char *usage[][8] = {
        {NULL},
        {"--extract", dir, "--period", "2024-05", NULL},
        {"--extract", dir, "--period", "2024-13", "--org", "RAT", NULL},
        {"--extract", dir, "--period", "2024-05", "--org", "RAT", "--bogus", NULL},
        {"--extract", dir, "--period", "2024-05", "--org", "RAT", "--config", NULL},
        {"--extract", dir, "--period", "2024-05", "--org", "rat!", NULL},
        {"--extract", dir, "--period", "2024-05", "--org", "RAT", "--max-findings", NULL},
        {"--extract", dir, "--extract", dir, "--period", "2024-05", "--org", NULL},
    };
    for (size_t i = 0; i < sizeof usage / sizeof *usage; i++) {
        int st = s_check(&out, usage[i]);
        if (st != 2)
            fprintf(stderr, "usage case %zu: %d\n%s\n", i, st, out ? out : "");
        CHECK_EQ_INT(st, 2);
        free(out);
    }
    const char *no_imd[] = {"--extract", dir,   "--period", "2024-05",
                            "--org",     "RAT", "--imd",    "/nonexistent/imd.csv",
                            NULL};
    CHECK_EQ_INT(s_check(&out, no_imd), 2);
    CHECK(out && strstr(out, "/nonexistent/imd.csv") != NULL);
    free(out);
    const char *help[] = {"--help", NULL};
    CHECK_EQ_INT(s_check(&out, help), 0);
    CHECK(out && strstr(out, "usage: iapt-node check") != NULL);
    free(out);

    /* --config: org, imd-lookup, tools and pseudo-key relative to the file;
     * other keys of the node's config are allowed. */
    char path[700];
    snprintf(path, sizeof path, "%s/imd.csv", dir);
    CHECK_EQ_INT(iapt_file_write_atomic(path, "postcode_prefix,imd_decile\nNE1,4\n", 33, 0600), 0);
    snprintf(path, sizeof path, "%s/tools.csv", dir);
    const char tools[] = "tool,snomed_code,min,max,caseness,reliable_change,role,descriptors\n"
                         "PHQ-9,720433000,0,27,10,6,depression,\n"
                         "GAD-7,445455005,0,21,8,4,anxiety,\n";
    CHECK_EQ_INT(iapt_file_write_atomic(path, tools, sizeof tools - 1, 0600), 0);
    iapt_pseudokey_t *key = NULL;
    CHECK_EQ_INT(iapt_pseudokey_generate(&key), 0);
    snprintf(path, sizeof path, "%s/pseudo.key", dir);
    CHECK_EQ_INT(iapt_pseudokey_save(key, path), 0);
    iapt_pseudokey_destroy(&key);
    snprintf(path, sizeof path, "%s/node.conf", dir);
    const char conf[] = "# node\norg = RAT\nhub = tcp://127.0.0.1:1\nimd-lookup = imd.csv\n"
                        "tools = tools.csv\npseudo-key = pseudo.key\n";
    CHECK_EQ_INT(iapt_file_write_atomic(path, conf, sizeof conf - 1, 0600), 0);
    const char *cfg[] = {"--extract", dir, "--period", "2024-05", "--config", path, NULL};
    CHECK_EQ_INT(s_check(&out, cfg), 0);
    free(out);
    const char *both[] = {"--extract", dir,     "--period", "2024-05", "--config",
                          path,        "--org", "RAT",      NULL};
    CHECK_EQ_INT(s_check(&out, both), 2);
    free(out);
    /* A config whose lookup file is broken is a configuration error. */
    snprintf(path, sizeof path, "%s/imd.csv", dir);
    CHECK_EQ_INT(iapt_file_write_atomic(path, "nothing\n", 8, 0600), 0);
    snprintf(path, sizeof path, "%s/node.conf", dir);
    CHECK_EQ_INT(s_check(&out, cfg), 2);
    CHECK(out && strstr(out, "imd.csv") != NULL);
    free(out);
    const char conf2[] = "hub = x\n";
    CHECK_EQ_INT(iapt_file_write_atomic(path, conf2, sizeof conf2 - 1, 0600), 0);
    CHECK_EQ_INT(s_check(&out, cfg), 2);
    CHECK(out && strstr(out, "has no 'org'") != NULL);
    free(out);

    const char *names[] = {"imd.csv", "tools.csv", "pseudo.key", "node.conf"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    fx_rm_dir(dir);
}

TEST_MAIN(test_refused_files, test_refused_header, test_refused_columns, test_refused_structure,
          test_hostile_huge_field, test_hostile_row_limits, test_hostile_endless_file,
          test_read_dir, test_reports, test_findings_limit, test_check_main)
