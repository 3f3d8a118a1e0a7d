/* collections.c - the registry of collections: the one table a new
 * collection is added to (common/collection.h). */

#include "common/collection.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

extern const iapt_collection_t iapt_collection_adult;
extern const iapt_collection_t iapt_collection_cyp;

/* In index order: a collection's position is its stored index, so append
 * only. */
static const iapt_collection_t *const s_collections[] = {
    &iapt_collection_adult,
    &iapt_collection_cyp,
};

#define N_COLLECTIONS (sizeof s_collections / sizeof *s_collections)

const iapt_collection_t *const *
iapt_collections(size_t *n)
{
    if (n)
        *n = N_COLLECTIONS;
    return s_collections;
}

const iapt_collection_t *
iapt_collection_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < N_COLLECTIONS; i++)
        if (!strcasecmp(name, s_collections[i]->name) || !strcasecmp(name, s_collections[i]->key))
            return s_collections[i];
    return NULL;
}

const iapt_collection_t *
iapt_collection_at(unsigned index)
{
    for (size_t i = 0; i < N_COLLECTIONS; i++)
        if (s_collections[i]->index == index)
            return s_collections[i];
    return NULL;
}

const iapt_collection_t *
iapt_collection_default(void)
{
    return s_collections[0];
}

const char *
iapt_collection_names(void)
{
    static char names[256];
    if (!names[0]) {
        size_t used = 0;
        for (size_t i = 0; i < N_COLLECTIONS && used < sizeof names; i++)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                                     s_collections[i]->name);
    }
    return names;
}
