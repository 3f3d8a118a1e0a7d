/* cyp_records.c - the CYP collection's records: one anonymised
 * Iapt__CypReferralRecord (proto/cyp.proto) per selected, valid referral,
 * with its contacts and usable scores dated by the period end (docs/CYP.md
 * "Anonymisation at the node"; the pseudonyms are the adult collection's,
 * node/anonymise.h). */
#include "common/collections/cyp/cyp_derive.h"
#include "common/collections/cyp/cyp_node.h"
#include "common/collections/cyp/cyp_tools.h"

#include "common/err.h"
#include "common/util.h"
#include "node/anonymise.h"
#include "proto/cyp.pb-c.h"

#include <stdlib.h>
#include <string.h>

/* One table's rows. */
typedef struct s_rows {
    const iapt_xrow_t *row;
    uint32_t n;
} s_rows_t;

typedef struct s_build {
    iapt_xctx_t *x;
    s_rows_t tab[CY_NTABLES];
    iapt_xgroup_t contacts; /* CYP201 by referral */
    iapt_xgroup_t scores;   /* CYP607 by referral */
    const char *sector;     /* the header's OrgSector (valid code, "?" or NULL) */
    /* Per-record space, reused from one record to the next. */
    Iapt__CypContact *contact;
    Iapt__CypContact **contact_p;
    size_t contact_cap;
    Iapt__CypScore *score;
    Iapt__CypScore **score_p;
    size_t score_cap;
} s_build_t;

/* Grow the messages and their pointers to hold `need`. */
static int
s_reserve(void **msgs, void **ptrs, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *m = realloc(*msgs, n * size);
    if (!m)
        return IAPT_ENOMEM;
    *msgs = m;
    void *p = realloc(*ptrs, n * sizeof(void *));
    if (!p)
        return IAPT_ENOMEM;
    *ptrs = p;
    *cap = n;
    return 0;
}

static int
s_build_one(s_build_t *b, uint32_t ri, iapt_buf_t *out, uint8_t pathway_id[16])
{
    const iapt_xctx_t *x = b->x;
    const iapt_period_t *p = iapt_xctx_period(x);
    const iapt_cyp_tools_t *tools = iapt_xctx_coll_tools(x);
    const iapt_xrow_t *r = &b->tab[CY_REFERRAL].row[ri];
    const iapt_xrow_t *pt = &b->tab[CY_MPI].row[r->parent];
    Iapt__CypReferralRecord rec = IAPT__CYP_REFERRAL_RECORD__INIT;
    uint8_t person_id[IAPT_PSEUDONYM_BYTES];
    size_t n_contacts = 0, n_scores = 0;
    int rc;

    if ((rc = iapt_pseudonym_pathway(iapt_xctx_key(x), iapt_xctx_org(x), r->v[CF_REF_ID].s,
                                     pathway_id)) < 0)
        return rc;
    if (pt->status[CF_MPI_NHS] == IAPT_XS_VALID) {
        rc = iapt_pseudonym_person_nhs(iapt_xctx_key(x), pt->v[CF_MPI_NHS].s, person_id);
        rec.person_id_basis = IAPT__CYP_PERSON_ID_BASIS__CYP_PERSON_ID_NHS_NUMBER;
    } else {
        rc = iapt_pseudonym_person_local(iapt_xctx_key(x), iapt_xctx_org(x), pt->v[CF_MPI_ID].s,
                                         person_id);
        rec.person_id_basis = IAPT__CYP_PERSON_ID_BASIS__CYP_PERSON_ID_LOCAL;
    }
    if (rc < 0)
        return rc;
    rec.pathway_id.data = pathway_id;
    rec.pathway_id.len = IAPT_PSEUDONYM_BYTES;
    rec.person_id.data = person_id;
    rec.person_id.len = IAPT_PSEUDONYM_BYTES;
    rec.has_person_id_basis = 1;
    rec.commissioner = (char *)r->v[CF_REF_COMM].s;
    rec.referral_day = (int32_t)(r->v[CF_REF_RECEIVED].n - p->start);
    /* A closure after the period end is no closure yet; one before the
     * period start cannot be in a selected referral. */
    if (r->status[CF_REF_CLOSED] == IAPT_XS_VALID && r->v[CF_REF_CLOSED].n <= p->end) {
        rec.has_closure_day = 1;
        rec.closure_day = (int32_t)(r->v[CF_REF_CLOSED].n - p->start);
    }
    rec.has_age_band = 1;
    rec.age_band =
        iapt_cyp_age_band((int32_t)pt->v[CF_MPI_BIRTH].n, (int32_t)r->v[CF_REF_RECEIVED].n);
    rec.gender_identity = (char *)pt->v[CF_MPI_GENDER].s;
    rec.ethnic_category = (char *)pt->v[CF_MPI_ETHNIC].s;
    if (iapt_xctx_imd(x) && pt->v[CF_MPI_POSTCODE].s) {
        int d = iapt_imd_lookup(iapt_xctx_imd(x), pt->v[CF_MPI_POSTCODE].s);
        if (d > 0) {
            rec.has_imd_decile = 1;
            rec.imd_decile = (uint32_t)d;
        }
    }
    rec.referral_source = (char *)r->v[CF_REF_SOURCE].s;
    rec.team_type = (char *)r->v[CF_REF_TEAM].s;
    rec.primary_reason = (char *)r->v[CF_REF_REASON].s;
    rec.provider_sector = (char *)b->sector;

    /* Contacts dated by the period end, in file order. */
    uint32_t from = b->contacts.off[ri], to = b->contacts.off[ri + 1];
    if ((rc = s_reserve((void **)&b->contact, (void **)&b->contact_p, &b->contact_cap, to - from,
                        sizeof *b->contact)) < 0)
        return rc;
    for (uint32_t k = from; k < to; k++) {
        const iapt_xrow_t *c = &b->tab[CY_CONTACT].row[b->contacts.items[k]];
        if (c->v[CF_CON_DATE].n > p->end)
            continue;
        Iapt__CypContact *m = &b->contact[n_contacts];
        iapt__cyp_contact__init(m);
        m->day = (int32_t)(c->v[CF_CON_DATE].n - p->start);
        m->attendance = (char *)c->v[CF_CON_ATTEND].s;
        m->mechanism = (char *)c->v[CF_CON_MECH].s;
        b->contact_p[n_contacts++] = m;
    }
    rec.n_contacts = n_contacts;
    rec.contacts = b->contact_p;

    /* Usable scores dated by the period end, in file order, each with its
     * row's position in the file (which orders scores of one day). */
    from = b->scores.off[ri];
    to = b->scores.off[ri + 1];
    if ((rc = s_reserve((void **)&b->score, (void **)&b->score_p, &b->score_cap, to - from,
                        sizeof *b->score)) < 0)
        return rc;
    for (uint32_t k = from; k < to; k++) {
        uint32_t si = b->scores.items[k];
        const iapt_xrow_t *s = &b->tab[CY_SCORE].row[si];
        if (s->v[CF_SCO_DATE].n > p->end || !cyp_score_usable(x, s))
            continue;
        int ti = iapt_cyp_tools_find(tools, s->v[CF_SCO_TOOL].s);
        Iapt__CypScore *m = &b->score[n_scores];
        iapt__cyp_score__init(m);
        m->tool = (char *)tools->tool[ti].code;
        m->value_x100 = (int32_t)s->v[CF_SCO_SCORE].n;
        m->day = (int32_t)(s->v[CF_SCO_DATE].n - p->start);
        if (tools->tool[ti].kind == IAPT_CYP_TOOL_GOAL) {
            m->has_goal_number = 1;
            m->goal_number = (uint32_t)(s->v[CF_SCO_GOAL].s[0] - '0');
        }
        m->file_order = si;
        b->score_p[n_scores++] = m;
    }
    rec.n_scores = n_scores;
    rec.scores = b->score_p;

    size_t size = iapt__cyp_referral_record__get_packed_size(&rec);
    if ((rc = iapt_buf_reserve(out, size)) < 0)
        return rc;
    out->len += iapt__cyp_referral_record__pack(&rec, out->data + out->len);
    return 0;
}

int
cyp_build_records(iapt_xctx_t *x)
{
    s_build_t b;
    iapt_buf_t buf = IAPT_BUF_INIT;
    uint8_t id[IAPT_PSEUDONYM_BYTES];
    int rc;

    memset(&b, 0, sizeof b);
    b.x = x;
    for (int t = 0; t < CY_NTABLES; t++)
        b.tab[t].row = iapt_xctx_rows(x, t, &b.tab[t].n);
    /* The header is exactly one row (the engine refused the extract
     * otherwise). */
    if (b.tab[CY_HEADER].n == 1)
        b.sector = b.tab[CY_HEADER].row[0].v[CF_HDR_SECTOR].s;
    if ((rc = iapt_xgroup_build(x, CY_CONTACT, CY_REFERRAL, &b.contacts)) < 0 ||
        (rc = iapt_xgroup_build(x, CY_SCORE, CY_REFERRAL, &b.scores)) < 0)
        goto out_free;
    const s_rows_t *ref = &b.tab[CY_REFERRAL];
    for (uint32_t i = 0; i < ref->n; i++) {
        const iapt_xrow_t *r = &ref->row[i];
        if (r->rejected || !cyp_referral_selected(x, r))
            continue;
        buf.len = 0;
        if ((rc = s_build_one(&b, i, &buf, id)) < 0 ||
            (rc = iapt_xctx_record_add(x, id, buf.data, buf.len)) < 0)
            goto out_free;
    }

out_free:
    iapt_xgroup_free(&b.contacts);
    iapt_xgroup_free(&b.scores);
    free(b.contact);
    free(b.contact_p);
    free(b.score);
    free(b.score_p);
    iapt_buf_free(&buf);
    return rc;
}
