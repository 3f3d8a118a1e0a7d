/*
 * synth_common.c - the parts of iapt-synth every generator shares
 * (synth.h): geography, providers, NHS numbers, reference files.
 */
#include "tests/synth/synth.h"

#include "common/csv.h"
#include "common/err.h"

#include <stdio.h>
#include <stdlib.h>

/* ------------------------------------------------------------------------ */
/* Reference data.                                                           */

/* The ten Strategic Health Authorities of data/sha-2012-targets.csv
 * serve as regions (names must match sha_name exactly); prevalence weights
 * how many providers each gets. */
const synth_region_t synth_regions[SYNTH_NREGIONS] = {
    {"East of England", 684797, "CB PE NR IP CO CM SS LU MK SG AL",
     "Cambridge|Peterborough|Norwich|Ipswich|Colchester|Chelmsford|Southend|Luton|Bedford|"
     "Watford|Stevenage|Harlow|Great Yarmouth|King's Lynn|Bury St Edmunds",
     6.0},
    {"East Midlands", 431814, "NG DE LE LN NN",
     "Nottingham|Derby|Leicester|Lincoln|Northampton|Mansfield|Chesterfield|Kettering|Boston|"
     "Loughborough|Grantham|Corby",
     5.0},
    {"London", 1018112, "E N NW SE SW W EC WC EN HA UB TW KT CR BR DA IG RM",
     "Camden|Islington|Hackney|Tower Hamlets|Newham|Redbridge|Barking and Dagenham|Havering|"
     "Ealing|Brent|Hounslow|Hillingdon|Harrow|Lambeth|Southwark|Lewisham|Greenwich|Bromley|"
     "Croydon|Merton|Wandsworth|Kingston|Richmond|Sutton|Enfield|Barnet|Haringey|"
     "Waltham Forest|Westminster|Kensington and Chelsea",
     4.8},
    {"North East", 330385, "NE SR DH TS DL",
     "Newcastle|Gateshead|Sunderland|Durham|Middlesbrough|Darlington|Hartlepool|Stockton|"
     "North Tyneside|South Tyneside|Northumberland|Carlisle",
     3.6},
    {"North West", 1004581, "M L WA CH PR BL OL SK WN BB LA CA FY CW",
     "Manchester|Salford|Stockport|Bolton|Wigan|Oldham|Rochdale|Bury|Trafford|Tameside|"
     "Liverpool|Wirral|Sefton|St Helens|Warrington|Halton|Chester|Crewe|Preston|Blackpool|"
     "Blackburn|Burnley|Lancaster|Barrow",
     4.0},
    {"South Central", 411454, "OX RG SO PO SL HP GU",
     "Oxford|Reading|Slough|Southampton|Portsmouth|Winchester|Basingstoke|Aylesbury|"
     "High Wycombe|Isle of Wight|Newbury|Banbury|Farnborough",
     7.0},
    {"South East Coast", 430321, "ME CT TN BN RH",
     "Maidstone|Canterbury|Medway|Dartford|Ashford|Brighton|Hastings|Eastbourne|Crawley|"
     "Worthing|Guildford|Redhill|Epsom",
     6.3},
    {"South West", 613546, "BS BA SN EX PL TQ TR TA DT BH GL",
     "Bristol|Bath|Swindon|Salisbury|Exeter|Plymouth|Torbay|Truro|Taunton|Yeovil|Dorchester|"
     "Bournemouth|Poole|Gloucester|Cheltenham",
     6.2},
    {"West Midlands", 568463, "B WS WV DY CV ST WR HR TF SY",
     "Birmingham|Solihull|Wolverhampton|Walsall|Dudley|Sandwell|Coventry|Warwick|Worcester|"
     "Hereford|Shrewsbury|Telford|Stoke-on-Trent|Stafford|Nuneaton",
     4.5},
    {"Yorkshire and Humber", 620772, "LS BD HD HX WF S DN HU YO HG",
     "Leeds|Bradford|Wakefield|Kirklees|Calderdale|Sheffield|Rotherham|Doncaster|Barnsley|Hull|"
     "York|Scarborough|Harrogate|Grimsby|Scunthorpe",
     4.2},
};

/* The 42 ICBs, placed in the SHA they lie in, with how many sub-ICBs each
 * has here (106 in all). Several names hold a comma, as the real ones do. */
const synth_icb_t synth_icbs[SYNTH_NICBS] = {
    {"North East and North Cumbria", "QHM", 3, 5},
    {"Cheshire and Merseyside", "QYG", 4, 6},
    {"Greater Manchester", "QOP", 4, 6},
    {"Lancashire and South Cumbria", "QE1", 4, 4},
    {"Humber and North Yorkshire", "QOQ", 9, 4},
    {"South Yorkshire", "QF7", 9, 4},
    {"West Yorkshire", "QWO", 9, 5},
    {"Derby and Derbyshire", "QJ2", 1, 1},
    {"Leicester, Leicestershire and Rutland", "QK1", 1, 3},
    {"Lincolnshire", "QJM", 1, 1},
    {"Northamptonshire", "QPM", 1, 1},
    {"Nottingham and Nottinghamshire", "QT1", 1, 2},
    {"Birmingham and Solihull", "QHL", 8, 1},
    {"Black Country", "QUA", 8, 3},
    {"Coventry and Warwickshire", "QWU", 8, 2},
    {"Herefordshire and Worcestershire", "QGH", 8, 1},
    {"Shropshire, Telford and Wrekin", "QOC", 8, 1},
    {"Staffordshire and Stoke-on-Trent", "QNC", 8, 2},
    {"Bedfordshire, Luton and Milton Keynes", "QHG", 0, 3},
    {"Cambridgeshire and Peterborough", "QUE", 0, 1},
    {"Hertfordshire and West Essex", "QM7", 0, 3},
    {"Mid and South Essex", "QH8", 0, 3},
    {"Norfolk and Waveney", "QMM", 0, 1},
    {"Suffolk and North East Essex", "QJG", 0, 2},
    {"North Central London", "QMJ", 2, 3},
    {"North East London", "QMF", 2, 4},
    {"North West London", "QRV", 2, 4},
    {"South East London", "QKK", 2, 3},
    {"South West London", "QWE", 2, 3},
    {"Kent and Medway", "QKS", 6, 1},
    {"Sussex", "QNX", 6, 3},
    {"Surrey Heartlands", "QXU", 6, 2},
    {"Frimley", "QNQ", 5, 2},
    {"Hampshire and Isle of Wight", "QRL", 5, 4},
    {"Buckinghamshire, Oxfordshire and Berkshire West", "QU9", 5, 3},
    {"Bath and North East Somerset, Swindon and Wiltshire", "QOX", 7, 3},
    {"Bristol, North Somerset and South Gloucestershire", "QUY", 7, 1},
    {"Cornwall and the Isles of Scilly", "QT6", 7, 1},
    {"Devon", "QJK", 7, 1},
    {"Dorset", "QVV", 7, 1},
    {"Gloucestershire", "QR1", 7, 1},
    {"Somerset", "QSL", 7, 1},
};

_Static_assert(SYNTH_N(synth_regions) == SYNTH_NREGIONS, "regions");
_Static_assert(SYNTH_N(synth_icbs) == SYNTH_NICBS, "ICBs");

static const synth_code_t synth_systems[] = {
    {"IAPTus", 55}, {"PC-MIS", 22}, {"SystmOne", 13}, {"Rio", 6}, {"EMIS Web", 4},
};

static const char *const synth_name_forms[] = {
    "%s Talking Therapies",
    "NHS Talking Therapies %s",
    "Talking Therapies %s and District",
    "%s Wellbeing Service",
    "%s Psychological Therapies Service",
    "Let's Talk %s",
    "%s Healthy Minds",
    "Talking Therapies, %s",
    "%s Mind Matters",
    "Steps to Wellbeing %s",
    "%s Lifeworks, Talking Therapies",
};

/* The k-th word of a space or '|' separated list into out; the number of words. */
int
synth_word(const char *list, char sep, int k, char *out, size_t size)
{
    int i = 0;
    const char *p = list;
    while (*p) {
        const char *q = strchr(p, sep);
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (i == k && out) {
            if (n >= size)
                n = size - 1;
            memcpy(out, p, n);
            out[n] = 0;
        }
        i++;
        if (!q)
            break;
        p = q + 1;
    }
    return i;
}

void
synth_geo_build(synth_geo_t *g)
{
    static const char letters[] = "ACDEFGHJKLMNPQRTVWX"; /* 19: codes below stay unique */
    synth_rng_t r = synth_rng(synth_key(0x1a9751a9ULL, SYNTH_TAG_REFDATA));
    memset(g, 0, sizeof *g);
    for (int i = 0; i < SYNTH_NICBS; i++) {
        g->icb_first[i] = g->n_sub;
        for (int k = 0; k < synth_icbs[i].n_sub; k++) {
            synth_subicb_t *s = &g->sub[g->n_sub];
            int n = g->n_sub++;
            s->code[0] = (char)('0' + (n * 37 + 11) % 100 / 10);
            s->code[1] = (char)('0' + (n * 37 + 11) % 10);
            s->code[2] = letters[n % 19];
            s->icb = i;
        }
    }
    /* Postcode districts: each region's areas are dealt out to its sub-ICBs,
     * a block of consecutive district numbers each. */
    for (int reg = 0; reg < SYNTH_NREGIONS; reg++) {
        int n_areas = synth_word(synth_regions[reg].areas, ' ', 0, NULL, 0), k = 0;
        for (int i = 0; i < g->n_sub; i++) {
            synth_subicb_t *s = &g->sub[i];
            if (synth_icbs[s->icb].region != reg)
                continue;
            char area[4];
            synth_word(synth_regions[reg].areas, ' ', k % n_areas, area, sizeof area);
            int block = k / n_areas, n = 8 + (int)synth_below(&r, 5);
            k++;
            s->first_district = g->n_dist;
            for (int t = 0; t < n; t++) {
                synth_district_t *d = &g->dist[g->n_dist++];
                if (!strcmp(area, "EC") || !strcmp(area, "WC"))
                    snprintf(d->out, sizeof d->out, "%s%d%c", area, 1 + t / 6, "AMNRVY"[t % 6]);
                else
                    snprintf(d->out, sizeof d->out, "%s%d", area, block * 13 + 1 + t);
                double dec = synth_regions[reg].imd + 2.4 * synth_normal(&r);
                d->decile = (uint8_t)synth_clampi((int)floor(dec + 0.5), 1, 10);
            }
            s->n_districts = n;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Providers.                                                                */

/* What a provider is like, from the seed and its index alone: its partner for
 * shared patients computes the same answer without the other providers. */
void
synth_provider_traits(uint64_t seed, int idx, const synth_geo_t *g, synth_provider_t *p)
{
    synth_rng_t r = synth_rng(synth_key3(seed, SYNTH_TAG_PROVIDER, (uint64_t)idx));
    memset(p, 0, sizeof *p);
    p->idx = idx;
    unsigned wreg[SYNTH_NREGIONS];
    for (int i = 0; i < SYNTH_NREGIONS; i++)
        wreg[i] = synth_regions[i].prevalence / 1000;
    p->region = synth_weighted(&r, wreg, SYNTH_NREGIONS);
    unsigned wicb[SYNTH_NICBS];
    for (int i = 0; i < SYNTH_NICBS; i++)
        wicb[i] = synth_icbs[i].region == p->region ? (unsigned)synth_icbs[i].n_sub : 0;
    int icb = synth_weighted(&r, wicb, SYNTH_NICBS);
    static const unsigned wn[4] = {40, 30, 20, 10};
    int want = 1 + synth_weighted(&r, wn, 4);
    p->sub[p->n_sub] = g->icb_first[icb] + (int)synth_below(&r, (uint32_t)synth_icbs[icb].n_sub);
    p->sub_w[p->n_sub++] = (unsigned)synth_range(&r, 50, 80);
    for (int tries = 0; p->n_sub < want && tries < 40; tries++) {
        int cand;
        if (synth_chance(&r, 0.85)) {
            cand = g->icb_first[icb] + (int)synth_below(&r, (uint32_t)synth_icbs[icb].n_sub);
        } else {
            cand = (int)synth_below(&r, (uint32_t)g->n_sub);
            if (synth_icbs[g->sub[cand].icb].region != p->region)
                continue;
        }
        bool dup = false;
        for (int i = 0; i < p->n_sub; i++)
            dup |= p->sub[i] == cand;
        if (dup)
            continue;
        p->sub[p->n_sub] = cand;
        p->sub_w[p->n_sub++] = (unsigned)synth_range(&r, 10, 40);
    }
    /* Sizes: log-normal with mean 1, so a few large services and some small. */
    p->size = synth_clampd(exp(0.55 * synth_normal(&r) - 0.15), 0.12, 4.0);
    /* Services covering more sub-ICBs are bigger; the divisor keeps the mean
     * at 1 (measured over 1000 providers). */
    p->size *= 1.0 + 0.2 * (p->n_sub - 1);
    p->size /= 1.166;
    p->self_share = synth_clampd(0.66 + 0.06 * synth_normal(&r), 0.45, 0.85);
    p->gp_share = (1.0 - p->self_share) * synth_clampd(0.68 + 0.08 * synth_normal(&r), 0.4, 0.9);
    p->p6 = synth_clampd(0.91 + 0.045 * synth_normal(&r), 0.65, 0.995);
    p->miss = synth_clampd(0.17 + 0.04 * synth_normal(&r), 0.06, 0.3);
    p->recov = synth_clampd(0.05 * synth_normal(&r), -0.15, 0.15);
    p->untreated = synth_clampd(0.03 * synth_normal(&r), -0.08, 0.08);
    p->score_q = synth_clampd(0.955 + 0.02 * synth_normal(&r), 0.85, 0.995);
    p->lag = synth_clampd(19.0 + 7.0 * synth_normal(&r), 4.0, 40.0);
    p->cbt = synth_chance(&r, 0.2) ? "228557008" : "304891004";
    p->system = synth_pick(&r, synth_systems, SYNTH_N(synth_systems));
    p->mech = (int)synth_below(&r, 3);
}

/* Codes and names: unique, so each depends on the providers before it (never
 * on how many come after). */
void
synth_provider_names(uint64_t seed, synth_provider_t *all, int idx)
{
    static const char alnum[] = "ABCDEFGHJKLMNPQRTVWXY0123456789";
    static const char upper[] = "ABCDEFGHJKLMNPQRTVWXY";
    synth_provider_t *p = &all[idx];
    synth_rng_t r = synth_rng(synth_key3(seed, SYNTH_TAG_PROVIDER_NAME, (uint64_t)idx));
    for (;;) {
        char c[6];
        if (synth_chance(&r, 0.65)) { /* NHS trust style: RAT */
            c[0] = 'R';
            c[1] = upper[synth_below(&r, sizeof upper - 1)];
            c[2] = alnum[synth_below(&r, sizeof alnum - 1)];
            c[3] = 0;
        } else if (synth_chance(&r, 0.6)) { /* independent sector site: 8J766 */
            c[0] = (char)('1' + synth_below(&r, 9));
            c[1] = upper[synth_below(&r, sizeof upper - 1)];
            for (int i = 2; i < 5; i++)
                c[i] = (char)('0' + synth_below(&r, 10));
            c[5] = 0;
        } else { /* voluntary sector: NQL05 */
            c[0] = "NAD"[synth_below(&r, 3)];
            c[1] = upper[synth_below(&r, sizeof upper - 1)];
            c[2] = upper[synth_below(&r, sizeof upper - 1)];
            c[3] = (char)('0' + synth_below(&r, 10));
            c[4] = (char)('0' + synth_below(&r, 10));
            c[5] = 0;
        }
        bool dup = false;
        for (int i = 0; i < idx && !dup; i++)
            dup = !strcmp(all[i].code, c);
        if (!dup) {
            synth_copy(p->code, sizeof p->code, c);
            break;
        }
    }
    const char *towns = synth_regions[p->region].towns;
    int n_towns = synth_word(towns, '|', 0, NULL, 0);
    for (int tries = 0;; tries++) {
        char town[40], name[96];
        synth_word(towns, '|', (int)synth_below(&r, (uint32_t)n_towns), town, sizeof town);
        const char *form = synth_name_forms[synth_below(&r, SYNTH_N(synth_name_forms))];
        if (tries >= 60) {
            snprintf(name, sizeof name, "%s Talking Therapies (%s)", town, p->code);
        } else {
            /* The forms are fixed text with one %s: splice the town in. */
            const char *at = strstr(form, "%s");
            snprintf(name, sizeof name, "%.*s%s%s", (int)(at - form), form, town, at + 2);
        }
        bool dup = false;
        for (int i = 0; i < idx && !dup; i++)
            dup = !strcmp(all[i].name, name);
        if (!dup) {
            synth_copy(p->name, sizeof p->name, name);
            break;
        }
    }
}

/* The NHS number with collision-free index i < SYNTH_NHS_SPACE: a seeded affine
 * permutation, then 6e7 eight-digit stems (4..9 first) x the nine ninth
 * digits that leave a valid modulus-11 check digit. */
void
synth_nhs_number(uint64_t seed, uint64_t i, char out[12])
{
    uint64_t b = synth_key(seed, SYNTH_TAG_NHS) % SYNTH_NHS_SPACE;
    uint64_t v = (282475249ULL * (i % SYNTH_NHS_SPACE) + b) % SYNTH_NHS_SPACE;
    uint64_t stem = 40000000ULL + v / 9;
    int k = (int)(v % 9);
    char d[11];
    for (int j = 7; j >= 0; j--) {
        d[j] = (char)('0' + stem % 10);
        stem /= 10;
    }
    int sum8 = 0;
    for (int j = 0; j < 8; j++)
        sum8 += (d[j] - '0') * (10 - j);
    for (int d9 = 0, seen = 0; d9 < 10; d9++) {
        int sum = sum8 + 2 * d9, check = 11 - sum % 11;
        if (check == 10)
            continue;
        if (seen++ == k) {
            d[8] = (char)('0' + d9);
            d[9] = (char)('0' + (check == 11 ? 0 : check));
            break;
        }
    }
    d[10] = 0;
    memcpy(out, d, 11);
}

int
synth_providers_make(uint64_t seed, int n, const synth_geo_t *g, synth_provider_t **out)
{
    synth_provider_t *p = calloc((size_t)(n > 0 ? n : 1), sizeof *p);
    if (!p)
        return iapt_error_set(IAPT_ENOMEM, "no memory for %d providers", n);
    for (int i = 0; i < n; i++) {
        synth_provider_traits(seed, i, g, &p[i]);
        synth_provider_names(seed, p, i);
    }
    *out = p;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Files.                                                                    */

int
synth_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return iapt_error_set(IAPT_EIO, "cannot create %s", path);
    size_t n = len ? fwrite(data, 1, len, f) : 0;
    int bad = n != len;
    bad |= fclose(f) != 0;
    if (bad)
        return iapt_error_set(IAPT_EIO, "cannot write %s", path);
    return 0;
}

/* Children and young people aged 0-19 of sub-ICB i: a total population
 * drawn around England's mean per sub-ICB (56.5 million over 106), of which
 * 21-27% are under 20. The same for every seed, as the geography is. */
static long
s_population_0_19(int i)
{
    synth_rng_t r = synth_rng(synth_key3(0x1a9751a9ULL, SYNTH_TAG_REFDATA + 200, (uint64_t)i));
    double total = 533000.0 * synth_clampd(exp(0.45 * synth_normal(&r) - 0.1), 0.25, 3.0);
    double share = 0.21 + 0.06 * synth_unif(&r);
    return (long)floor(total * share / 10.0 + 0.5) * 10;
}

int
synth_claim_out(const char *out, const char *name)
{
    char path[4096];
    uint8_t *data = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/COLLECTION", out);
    if (iapt_file_read(path, 1 << 20, &data, &len) == 0) {
        size_t n = strlen(name);
        bool same = len == n + 1 && !memcmp(data, name, n) && data[n] == '\n';
        free(data);
        if (!same)
            return iapt_error_set(IAPT_EUSAGE,
                                  "--out %s holds another collection's extracts (%s); write %s "
                                  "to a directory of its own",
                                  out, path, name);
    }
    snprintf(path, sizeof path, "%s/providers.csv", out);
    if (iapt_file_read(path, 1 << 20, &data, &len) == 0) {
        bool adult = len >= 14 && !memcmp(data, "org_code,name\n", 14);
        free(data);
        if (adult)
            return iapt_error_set(IAPT_EUSAGE,
                                  "--out %s holds the adult collection's extracts; write %s to a "
                                  "directory of its own",
                                  out, name);
    }
    int rc = iapt_mkdir_p(out, 0755);
    if (rc)
        return rc;
    char text[64];
    snprintf(text, sizeof text, "%s\n", name);
    snprintf(path, sizeof path, "%s/COLLECTION", out);
    return synth_write_file(path, text, strlen(text));
}

int
synth_write_reference(const char *out, const synth_geo_t *g, const synth_provider_t *prov, int n,
                      bool programme)
{
    char path[4096];
    iapt_buf_t b = IAPT_BUF_INIT;
    int rc = iapt_mkdir_p(out, 0755);
    if (rc)
        return rc;

    rc =
        iapt_buf_printf(&b, "subicb_code,subicb_name,icb_code,icb_name,region_code,region_name%s\n",
                        programme ? ",population_0_19" : "");
    for (int i = 0; i < g->n_sub && !rc; i++) {
        const synth_subicb_t *s = &g->sub[i];
        int reg = synth_icbs[s->icb].region;
        char sub_name[160], icb_name[128], reg_code[16];
        snprintf(icb_name, sizeof icb_name, "NHS %s ICB", synth_icbs[s->icb].place);
        snprintf(sub_name, sizeof sub_name, "%s - %s", icb_name, s->code);
        snprintf(reg_code, sizeof reg_code, "Y%02d", reg + 1);
        const char *f[6] = {s->code,  sub_name, synth_icbs[s->icb].code,
                            icb_name, reg_code, synth_regions[reg].name};
        for (int k = 0; k < 6 && !rc; k++) {
            if (k)
                rc = iapt_buf_append(&b, ",", 1);
            if (!rc)
                rc = iapt_csv_write_field(&b, f[k]);
        }
        if (!rc && programme)
            rc = iapt_buf_printf(&b, ",%ld", s_population_0_19(i));
        if (!rc)
            rc = iapt_buf_append(&b, "\n", 1);
    }
    snprintf(path, sizeof path, "%s/geography.csv", out);
    if (!rc)
        rc = synth_write_file(path, b.data, b.len);

    b.len = 0;
    if (!rc)
        rc = iapt_buf_printf(&b, programme ? "org_code,org_name,home_subicb\n" : "org_code,name\n");
    for (int i = 0; i < n && !rc; i++) {
        rc = iapt_csv_write_field(&b, prov[i].code);
        if (!rc)
            rc = iapt_buf_append(&b, ",", 1);
        if (!rc)
            rc = iapt_csv_write_field(&b, prov[i].name);
        if (!rc && programme)
            rc = iapt_buf_printf(&b, ",%s", g->sub[synth_provider_home(&prov[i])].code);
        if (!rc)
            rc = iapt_buf_append(&b, "\n", 1);
    }
    snprintf(path, sizeof path, "%s/providers.csv", out);
    if (!rc)
        rc = synth_write_file(path, b.data, b.len);

    /* Deprivation by district, and for some districts by sector (district
     * plus the inward code's digit) differing from it, so the longest prefix
     * has to win. Without spaces "NE1" + sector "1" reads as district "NE11":
     * such a sector is left out rather than written twice. */
    b.len = 0;
    if (!rc)
        rc = iapt_buf_printf(&b, "postcode_prefix,imd_decile\n");
    synth_rng_t r = synth_rng(synth_key(0x1a9751a9ULL, SYNTH_TAG_REFDATA + 100));
    for (int i = 0; i < g->n_dist && !rc; i++) {
        const synth_district_t *d = &g->dist[i];
        rc = iapt_buf_printf(&b, "%s,%d\n", d->out, d->decile);
        if (rc || !synth_chance(&r, 0.4))
            continue;
        int n_sectors = synth_range(&r, 2, 4);
        unsigned used = 0;
        for (int k = 0; k < n_sectors && !rc; k++) {
            int digit = (int)synth_below(&r, 10);
            int dec = synth_clampi(
                d->decile + (synth_chance(&r, 0.5) ? -1 : 1) * synth_range(&r, 1, 3), 1, 10);
            char pre[24];
            snprintf(pre, sizeof pre, "%s%d", d->out, digit);
            bool clash = (used >> digit) & 1;
            for (int j = 0; j < g->n_dist && !clash; j++)
                clash = !strcmp(g->dist[j].out, pre);
            if (clash)
                continue;
            used |= 1u << digit;
            rc = iapt_buf_printf(&b, "%s,%d\n", pre, dec);
        }
    }
    snprintf(path, sizeof path, "%s/imd.csv", out);
    if (!rc)
        rc = synth_write_file(path, b.data, b.len);
    iapt_buf_free(&b);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Extracts.                                                                 */

int
synth_extract_init(synth_extract_t *e, int n, const char *const *names,
                   const char *const (*cols)[SYNTH_FIELDS], double error_rate, uint64_t err_key)
{
    memset(e, 0, sizeof *e);
    e->n_tables = n < SYNTH_TABLES ? n : SYNTH_TABLES;
    e->error_rate = error_rate;
    e->err_rng = synth_rng(err_key);
    int rc = 0;
    for (int t = 0; t < e->n_tables && !rc; t++) {
        synth_table_t *tab = &e->t[t];
        tab->name = names[t];
        for (int i = 0; i < SYNTH_FIELDS && cols[t][i]; i++) {
            tab->cols[i] = cols[t][i];
            rc = iapt_buf_printf(&tab->buf, "%s%s", i ? "," : "", cols[t][i]);
        }
        if (!rc)
            rc = iapt_buf_append(&tab->buf, "\n", 1);
    }
    return e->rc = rc;
}

void
synth_row_init(const synth_extract_t *e, int t, synth_row_t *row)
{
    row->n = 0;
    for (int i = 0; i < SYNTH_FIELDS && e->t[t].cols[i]; i++) {
        row->f[i][0] = 0;
        row->n = i + 1;
    }
}

void
synth_row_set(synth_row_t *row, int i, const char *v)
{
    synth_copy(row->f[i], SYNTH_FIELD, v);
    if (i >= row->n)
        row->n = i + 1;
}

void
synth_row_date(synth_row_t *row, int i, int32_t day)
{
    char d[11];
    iapt_date_format(day, d);
    synth_row_set(row, i, d);
}

uint64_t
synth_next_line(const synth_extract_t *e, int t)
{
    return e->t[t].rows + 2;
}

void
synth_emit(synth_extract_t *e, int t, const synth_row_t *row)
{
    synth_table_t *tab = &e->t[t];
    for (int i = 0; i < row->n && !e->rc; i++) {
        if (i)
            e->rc = iapt_buf_append(&tab->buf, ",", 1);
        if (!e->rc)
            e->rc = iapt_csv_write_field(&tab->buf, row->f[i]);
    }
    if (!e->rc)
        e->rc = iapt_buf_append(&tab->buf, "\n", 1);
    tab->rows++;
    if (e->error_rate > 0 && synth_unif(&e->err_rng) < e->error_rate)
        tab->owed++;
}

bool
synth_due(const synth_extract_t *e, int t, bool eligible)
{
    return eligible && e->t[t].owed > 0;
}

void
synth_placed(synth_extract_t *e, int t)
{
    if (e->t[t].owed > 0)
        e->t[t].owed--;
}

void
synth_record(synth_extract_t *e, int t, uint64_t line, int col, const char *reason)
{
    if (e->n_errs == e->cap_errs) {
        size_t cap = e->cap_errs ? e->cap_errs * 2 : 64;
        synth_err_t *n = realloc(e->errs, cap * sizeof *n);
        if (!n) {
            e->rc = IAPT_ENOMEM;
            return;
        }
        e->errs = n;
        e->cap_errs = cap;
    }
    synth_err_t *er = &e->errs[e->n_errs++];
    er->table = t;
    er->line = line;
    er->field = e->t[t].cols[col];
    er->reason = reason;
}

void
synth_dup_candidate(synth_extract_t *e, int t, const char *id)
{
    synth_table_t *tab = &e->t[t];
    tab->dup_ok = true;
    tab->dup_line = synth_next_line(e, t);
    synth_copy(tab->dup_id, sizeof tab->dup_id, id);
}

void
synth_bad_date(synth_rng_t *r, int32_t day, char out[SYNTH_FIELD])
{
    int y, m, d;
    iapt_civil_from_days(day, &y, &m, &d);
    switch (synth_below(r, 4)) {
    case 0:
        snprintf(out, SYNTH_FIELD, "%04d-%02d-%02d", y, m, iapt_days_in_month(y, m) + 1);
        break;
    case 1:
        snprintf(out, SYNTH_FIELD, "%02d/%02d/%04d", d, m, y);
        break;
    case 2:
        snprintf(out, SYNTH_FIELD, "%04d-13-%02d", y, d);
        break;
    default:
        snprintf(out, SYNTH_FIELD, "%04d%02d%02d", y, m, d);
        break;
    }
}

static int
s_cmp_err(const void *a, const void *b)
{
    const synth_err_t *x = a, *y = b;
    if (x->table != y->table)
        return x->table < y->table ? -1 : 1;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return strcmp(x->field, y->field);
}

int
synth_extract_write(synth_extract_t *e, const char *out, const char *org, const char *period)
{
    if (e->rc)
        return e->rc;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", out, org, period);
    int rc = iapt_mkdir_p(path, 0755);
    for (int t = 0; t < e->n_tables && !rc; t++) {
        snprintf(path, sizeof path, "%s/%s/%s/%s", out, org, period, e->t[t].name);
        rc = synth_write_file(path, e->t[t].buf.data, e->t[t].buf.len);
    }
    if (rc)
        return rc;
    if (e->n_errs)
        qsort(e->errs, e->n_errs, sizeof *e->errs, s_cmp_err);
    iapt_buf_t eb = IAPT_BUF_INIT;
    rc = iapt_buf_printf(&eb, "file,line,field,reason\n");
    for (size_t i = 0; i < e->n_errs && !rc; i++)
        rc = iapt_buf_printf(&eb, "%s,%llu,%s,%s\n", e->t[e->errs[i].table].name,
                             (unsigned long long)e->errs[i].line, e->errs[i].field,
                             e->errs[i].reason);
    if (!rc) {
        snprintf(path, sizeof path, "%s/%s/%s.errors.csv", out, org, period);
        rc = synth_write_file(path, eb.data, eb.len);
    }
    iapt_buf_free(&eb);
    return rc;
}

void
synth_extract_free(synth_extract_t *e)
{
    for (int t = 0; t < e->n_tables; t++)
        iapt_buf_free(&e->t[t].buf);
    free(e->errs);
    e->errs = NULL;
}
