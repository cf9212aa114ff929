#!/bin/sh
# The etcd steps of the tutorial, against the etcd at $ETCDCTL_ENDPOINTS (default
# http://127.0.0.1:2379). Works with the real etcdctl (ETCDCTL_API=2) and with pyetcdctl:
#   ETCDCTL=pyetcdctl sh examples/tutorial-etcdctl.sh
set -eu
ETCDCTL=${ETCDCTL:-etcdctl}
export ETCDCTL_API=2
ENDPOINT=${ETCDCTL_ENDPOINTS:-http://127.0.0.1:2379}
ENDPOINT=${ENDPOINT%%,*}
here=$(dirname "$0")

$ETCDCTL set name lambert
$ETCDCTL get name
curl -s "$ENDPOINT/v2/keys/message" -XPUT -d value="Hello world"
curl -s "$ENDPOINT/v2/keys/message"
curl -s "$ENDPOINT/v2/keys/queue" -d value=panda          # POST: an in-order key
curl -s "$ENDPOINT/v2/keys/queue?recursive=true" -XDELETE
curl -s "$ENDPOINT/v2/keys/queue"                         # now a 404 error
echo
$ETCDCTL set /coreos.com/network/config "$(cat "$here/flannel-network-config.json")"
$ETCDCTL mkdir /dir
$ETCDCTL ls --recursive --sort
$ETCDCTL rm --recursive /dir
