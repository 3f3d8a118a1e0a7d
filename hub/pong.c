/* pong.c - the hub's answer to a connection check (Ping), on both endpoints. */
#include "common/err.h"
#include "common/wire.h"
#include "hub/hub.h"

#include <string.h>

#ifdef IAPT_VERSION
#define S_HUB_VERSION "iapt-hub " IAPT_VERSION
#else
#define S_HUB_VERSION "iapt-hub 1.0"
#endif

int
iapt_hub_pong(const iapt_hub_t *hub, const iapt_registry_entry_t *peer, const char *endpoint,
              iapt_buf_t *reply)
{
    Iapt__Pong p = IAPT__PONG__INIT;
    p.org_code = (char *)peer->org;
    p.role = (char *)peer->role;
    p.org_name = (char *)peer->name;
    p.hub_name = (char *)hub->cfg.name;
    p.hub_version = (char *)S_HUB_VERSION;
    p.endpoint = (char *)endpoint;
    p.has_may_submit = 1;
    p.may_submit =
        strcmp(endpoint, "submit") == 0 && strcmp(peer->role, "provider") == 0 && peer->active;
    Iapt__Envelope env = IAPT__ENVELOPE__INIT;
    env.body_case = IAPT__ENVELOPE__BODY_PONG;
    env.pong = &p;
    return iapt_wire_pack(&env, reply);
}
