#!/usr/bin/env bash
# A scripted UI run, as a person would drive the app: the real app in a real window under Xvfb
# (software Vulkan), mouse and keys through xdotool. The app writes where its key buttons and
# nodes are, what chaos is active and what is selected to a probe file (BLASTRADIUS_PROBE), so
# the script clicks things where they are drawn and checks what each step did. Needs the
# Debian packages xvfb, mesa-vulkan-drivers, xdotool, imagemagick, and python3.
#
#   scripts/ui-run.sh [OUT_DIR]      (screenshots and the log go to OUT_DIR, default ui-run/)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-ui-run}
mkdir -p "$out"
bin=${BLASTRADIUS_BIN:-${CARGO_TARGET_DIR:-target}/debug/blastradius}
display=:${UI_RUN_DISPLAY:-57}
probe=$(mktemp /tmp/blastradius-probe.XXXXXX.json)
rm -f "$probe"
export DISPLAY=$display
Xvfb "$display" -screen 0 2560x1440x24 >/dev/null 2>&1 &
xvfb=$!
sleep 1
BLASTRADIUS_PROBE=$probe BLASTRADIUS_BLUEPRINT=three-tier BLASTRADIUS_WINDOW=1600x1000 \
    BLASTRADIUS_AUTOSAVE=$(mktemp -u /tmp/blastradius-autosave.XXXXXX.ron) \
    WGPU_BACKEND=vulkan "$bin" >"$out/app.log" 2>&1 &
app=$!
cleanup() { kill "$app" 2>/dev/null || true; kill "$xvfb" 2>/dev/null || true; rm -f "$probe"; }
trap cleanup EXIT

fails=0
say() { echo "ui-run: $*"; }
check() { # check DESCRIPTION PYTHON-EXPRESSION-ON-p
    if q "$2" >/dev/null 2>&1 && [ "$(q "$2")" = True ]; then say "ok   $1"; else say "FAIL $1"; fails=$((fails + 1)); fi
}
q() { python3 -c "import json,sys; p=json.load(open('$probe')); print($1)"; }
wait_for() { # wait_for PYTHON-EXPRESSION [SECONDS]
    for _ in $(seq 1 $((${2:-30} * 4))); do
        if [ -s "$probe" ] && [ "$(q "$1" 2>/dev/null)" = True ]; then return 0; fi
        sleep 0.25
    done
    return 1
}
at() { q "\"%d %d\" % (p$1['x'], p$1['y'])"; }
click() { xdotool mousemove $1 $2; sleep 0.3; xdotool mousedown 1; sleep 0.15; xdotool mouseup 1; sleep 0.8; }
shot() { sleep 1.5; import -window "$wid" "$out/$1.png"; say "screenshot $out/$1.png"; }

wait_for "p['nodes'].get('db', {}).get('x') is not None" 120 || { say "the app did not start"; exit 1; }
wid=$(xdotool search --name "Blast Radius" | head -1)
xdotool windowfocus --sync "$wid" || true
sleep 2
shot 01-start-1600x1000

# Select the db and change its servers (live), then check the run took it.
click $(at "['nodes']['db']")
check "clicking the db selects it" "p['selection'] == 'Node(\"db\")'"
wait_for "'servers' in p['buttons']" 10 || true
before=$(q "p['nodes']['db']['servers']")
# Dragging the number to the right raises it, as a person would.
read -r sx sy < <(at "['buttons']['servers']")
xdotool mousemove "$sx" "$sy"; sleep 0.3; xdotool mousedown 1; sleep 0.3
for dx in 10 20 30 40; do xdotool mousemove $((sx + dx)) "$sy"; sleep 0.25; done
xdotool mouseup 1; sleep 1
check "the db's servers went up from $before (now $(q "p['nodes']['db']['servers']"))" "p['nodes']['db']['servers'] > $before"
check "undo offers the live change" "'servers of db' in (p['undo'] or '')"
shot 02-db-servers

# Two chaos kinds in turn, each injected; the Active list must name the kind picked.
for kind in node-failure latency-injection; do
    click $(at "['buttons']['chaos-kind']")
    wait_for "'kind:$kind' in p['buttons']" 5 || say "the kind picker did not open"
    click $(at "['buttons']['kind:$kind']")
    click $(at "['buttons']['inject']")
    check "Inject after picking $kind makes $kind active" "any(a.startswith('$kind ') for a in p['active'])"
    shot "03-injected-$kind"
done

# Drag a service from the palette onto empty canvas, connect it to the lb, undo the connection.
read -r cx cy < <(q "\"%d %d\" % (p['canvas']['x'] - p['canvas']['w'] * 0.35, p['canvas']['y'] - p['canvas']['h'] * 0.3)")
nodes_before=$(q "len(p['document_nodes'])")
read -r px py < <(at "['buttons']['palette:service']")
xdotool mousemove "$px" "$py"; sleep 0.3; xdotool mousedown 1; sleep 0.3
xdotool mousemove $((px + 40)) $((py + 10)); sleep 0.3
xdotool mousemove "$cx" "$cy"; sleep 0.5; xdotool mouseup 1; sleep 1
check "the palette drag added a node" "len(p['document_nodes']) == $nodes_before + 1"
new=$(q "[k for k in p['document_nodes'] if k.startswith('service')][-1]")
say "added $new"
shot 04-dragged-$new
read -r nx ny < <(at "['document_nodes']['$new']")
read -r lx ly < <(at "['document_nodes']['lb']")
xdotool keydown shift; sleep 0.2
xdotool mousemove "$lx" "$ly"; sleep 0.3; xdotool mousedown 1; sleep 0.3
xdotool mousemove $(((lx + nx) / 2)) $(((ly + ny) / 2)); sleep 0.3
xdotool mousemove "$nx" "$ny"; sleep 0.5; xdotool mouseup 1; sleep 0.3
xdotool keyup shift; sleep 1
check "shift-drag connected lb to $new" "'lb->$new' in p['edges']"
shot 05-connected
# Escape first: no text field keeps the keys.
xdotool mousemove "$cx" "$cy"; xdotool key Escape; sleep 0.5
xdotool keydown ctrl; sleep 0.2; xdotool key z; sleep 0.2; xdotool keyup ctrl; sleep 1.5
check "undo removed the connection" "'lb->$new' not in p['edges'] and '$new' in p['document_nodes']"
shot 06-undone

# Sizes: the layout must hold at each.
for size in 1024x600 1280x720 1920x1080 2560x1440; do
    xdotool windowsize "$wid" ${size%x*} ${size#*x}
    sleep 3
    check "at $size every node is on the canvas" "all(p['canvas']['x'] - p['canvas']['w']/2 <= n['x'] <= p['canvas']['x'] + p['canvas']['w']/2 and p['canvas']['y'] - p['canvas']['h']/2 <= n['y'] <= p['canvas']['y'] + p['canvas']['h']/2 for n in p['nodes'].values() if n['x'] is not None)"
    shot "07-size-$size"
done

say "$fails check(s) failed"
[ "$fails" -eq 0 ]
