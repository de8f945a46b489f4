#!/bin/sh
# Starts one process of the replicated EPHEMERAL Redis behind Redis Sentinel
# (docs/operations.md, "High availability without persistence"):
#
#   redis-ha.sh node     [redis-server options]   a data node: primary or replica
#   redis-ha.sh sentinel [redis-server options]   a sentinel
#   redis-ha.sh handover                          before a data node stops on purpose:
#                                                 if it is the primary, the sentinels
#                                                 promote the replica first (no wait for
#                                                 down-after, nothing lost)
#
# Environment (compose.sentinel.yaml and k8s/sentinel/ set it):
#   RC_REDIS_SERVICE  the service name the sentinels monitor (default rc-ephemeral)
#   RC_REDIS_NODES    the data nodes, "host:port host:port"; the first is the primary
#                     of a set that starts from nothing
#   RC_SENTINELS      the sentinels, "host:port host:port host:port"
#   RC_REDIS_SELF     node, handover: this node, exactly as listed in RC_REDIS_NODES
#   RC_REDIS_CONF     node: its redis.conf (default /etc/redis/redis.conf)
#   RC_PROMOTE_WAIT_S node: how long a restarted node that the sentinels still name
#                     waits for them to promote the replica (default 60)
#   RC_SENTINEL_CONF  sentinel: the settings to start from (default /etc/redis/sentinel.conf);
#                     its line "sentinel monitor <service> @PRIMARY@ <quorum>" gets the
#                     current primary
#   RC_SENTINEL_DIR   sentinel: a writable directory (RAM) for the file Sentinel keeps
#                     rewriting (addresses and ids only, never data)
#   RC_SENTINEL_SELF  sentinel: this sentinel's host:port as the others reach it
#                     (optional; announced instead of its address, which changes)
#
# Why a script: no node writes anything to disk, so a data node that crashes comes back
# EMPTY. Started as it was (the primary), it would hand that empty data set to the
# replica, which would copy it and drop every live conversation; Redis's documentation
# warns about exactly this ("Safety of replication when master has persistence turned
# off"). So a data node first asks the sentinels who the primary is and starts as its
# replica. If the sentinels still name this very node (it restarted before they noticed),
# it waits while a healthy replica exists: the sentinels promote that replica (it holds
# the data) and this node then joins it as a replica. And a sentinel that starts asks
# its peers, then the data nodes, which node is the primary now, instead of trusting a
# file from the first start.
set -eu

service=${RC_REDIS_SERVICE:-rc-ephemeral}
nodes=${RC_REDIS_NODES:?RC_REDIS_NODES: the data nodes, host:port host:port}
sentinels=${RC_SENTINELS:?RC_SENTINELS: the sentinels, host:port host:port host:port}

say() { echo "redis-ha: $*" >&2; }
host_of() { echo "${1%:*}"; }
port_of() { echo "${1##*:}"; }
cli() { _addr=$1; shift; redis-cli -h "$(host_of "$_addr")" -p "$(port_of "$_addr")" --raw "$@" 2>/dev/null; }

# The primary as the sentinels name it ("host:port"), or nothing.
sentinels_primary() {
  for s in $sentinels; do
    answer=$(cli "$s" SENTINEL GET-MASTER-ADDR-BY-NAME "$service" | tr '\n' ' ') || continue
    set -- $answer
    if [ "$#" -eq 2 ]; then echo "$1:$2"; return 0; fi
  done
  return 1
}

# True when a sentinel knows a replica of the service that is up and in sync: it holds
# the data and will be promoted.
healthy_replica_known() {
  for s in $sentinels; do
    flags=$(cli "$s" SENTINEL REPLICAS "$service" | awk 'prev == "flags" { print } { prev = $0 }') || continue
    for f in $flags; do
      case ",$f," in
        *,s_down,* | *,o_down,* | *,disconnected,*) ;;
        *,slave,*) return 0 ;;
      esac
    done
  done
  return 1
}

# A data node other than $1 that says it is a primary, or nothing.
node_primary() {
  for n in $nodes; do
    [ "$n" = "$1" ] && continue
    if [ "$(cli "$n" ROLE | head -n 1)" = "master" ]; then echo "$n"; return 0; fi
  done
  return 1
}

first_node() { set -- $nodes; echo "$1"; }

start_node() {
  self=${RC_REDIS_SELF:?RC_REDIS_SELF: this data node as listed in RC_REDIS_NODES}
  conf=${RC_REDIS_CONF:-/etc/redis/redis.conf}
  # How the others reach this node (the sentinels hand it to the clients).
  announce="--replica-announce-ip $(host_of "$self") --replica-announce-port $(port_of "$self")"
  # A promotion takes down-after-milliseconds and a second or two. A replica the
  # sentinels have not promoted by then will not be (it lost its primary too long ago,
  # e.g. both nodes went down): start as the primary rather than wait for ever.
  promote_wait=${RC_PROMOTE_WAIT_S:-60}
  waited=0
  while :; do
    if primary=$(sentinels_primary); then
      if [ "$primary" != "$self" ]; then
        say "the sentinels name $primary: starting as its replica"
        # shellcheck disable=SC2086
        exec redis-server "$conf" --port "$(port_of "$self")" $announce \
          --replicaof "$(host_of "$primary")" "$(port_of "$primary")" "$@"
      fi
      if healthy_replica_known && [ "$waited" -lt "$promote_wait" ]; then
        say "the sentinels still name this node, which restarted empty: waiting for them to promote the replica"
        sleep 1
        waited=$((waited + 1))
        continue
      fi
      # Ask again: a failover that ended between the two questions names another
      # primary now (and lists this node as its replica, down).
      [ "$(sentinels_primary || true)" = "$self" ] || continue
      say "the sentinels name this node and no replica will be promoted: starting as the primary"
      break
    fi
    # No sentinel answers: the whole set starts (or every sentinel is down). A node
    # that already serves as primary wins; else the first node.
    primary=$(node_primary "$self") || primary=$(first_node)
    if [ "$primary" = "$self" ]; then
      say "no sentinel answers: starting as the first primary"
      break
    fi
    say "no sentinel answers: starting as a replica of $primary"
    # shellcheck disable=SC2086
    exec redis-server "$conf" --port "$(port_of "$self")" $announce \
      --replicaof "$(host_of "$primary")" "$(port_of "$primary")" "$@"
  done
  # shellcheck disable=SC2086
  exec redis-server "$conf" --port "$(port_of "$self")" $announce "$@"
}

start_sentinel() {
  template=${RC_SENTINEL_CONF:-/etc/redis/sentinel.conf}
  dir=${RC_SENTINEL_DIR:-/data}
  primary=$(sentinels_primary) || primary=$(node_primary "") || primary=$(first_node)
  say "starting a sentinel for $service with the primary at $primary"
  sed "s/@PRIMARY@/$(host_of "$primary") $(port_of "$primary")/" "$template" > "$dir/sentinel.conf"
  if [ -n "${RC_SENTINEL_SELF:-}" ]; then
    printf 'sentinel announce-ip %s\nsentinel announce-port %s\n' \
      "$(host_of "$RC_SENTINEL_SELF")" "$(port_of "$RC_SENTINEL_SELF")" >> "$dir/sentinel.conf"
  fi
  exec redis-server "$dir/sentinel.conf" --sentinel "$@"
}

start_handover() {
  self=${RC_REDIS_SELF:?RC_REDIS_SELF: this data node as listed in RC_REDIS_NODES}
  [ "$(cli "$self" ROLE | head -n 1)" = "master" ] || exit 0
  if ! healthy_replica_known; then
    say "no replica to hand over to"
    exit 0
  fi
  for s in $sentinels; do
    [ "$(cli "$s" SENTINEL FAILOVER "$service")" = "OK" ] && break
  done
  waited=0
  while [ "$waited" -lt "${RC_HANDOVER_WAIT_S:-30}" ]; do
    if [ "$(cli "$self" ROLE | head -n 1)" = "slave" ]; then
      say "handed over: this node is a replica now"
      exit 0
    fi
    sleep 1
    waited=$((waited + 1))
  done
  say "the sentinels did not take over in time"
}

mode=${1:-}
[ "$#" -gt 0 ] && shift
case "$mode" in
  node) start_node "$@" ;;
  sentinel) start_sentinel "$@" ;;
  handover) start_handover ;;
  *) say "usage: redis-ha.sh node|sentinel [redis-server options] | handover"; exit 2 ;;
esac
