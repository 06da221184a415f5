#!/usr/bin/env bash
# Makes the README's picture from a real session: two users side by side in
# tmux on one nats-server, ann posts, bob likes it, and both screens show
# the like. Writes assets/screenshot.png (rendered by headless chromium from
# tmux's own capture, colours included) and assets/screenshot.txt.
#
# Needs: nats-server, tmux, chromium, python3, and fonts for CJK and emoji
# (Debian: fonts-dejavu-core fonts-noto-cjk fonts-noto-color-emoji). Run:
#   bash assets/screenshot.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
J=$PWD/target/release/jetfeed
NATS_SERVER=$(command -v nats-server || echo /usr/sbin/nats-server)
WORK=$(mktemp -d)
PORT=$((20000 + RANDOM % 20000))
SESSION=jetfeed-shot-$$
"$NATS_SERVER" -js -a 127.0.0.1 -p "$PORT" -sd "$WORK/store" >"$WORK/nats.log" 2>&1 &
NATS_PID=$!
cleanup() {
    tmux kill-session -t "$SESSION" 2>/dev/null || true
    kill "$NATS_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
URL=nats://127.0.0.1:$PORT
for _ in $(seq 50); do "$J" --server "$URL" tail --no-follow >/dev/null 2>&1 && break; sleep 0.1; done

post() { "$J" --server "$URL" --user "$1" post "$2" >/dev/null; }
post grace "Shipping the new release today. The changelog is short, the diff is not."
post linus "Reminder: the stream is the source of truth; every terminal is just a fold over it."
post 健太 "東京は今日も晴れ ☀️ JetStream keeps every event, so late joiners see the whole feed."
printf 'Release notes, as written:\n- line breaks kept\n- emoji kept: 👋🏽 🏳️‍🌈' |
    "$J" --server "$URL" --user ada post - >/dev/null

run() { echo "env JETFEED_DATA_DIR=$WORK/$1 XDG_CONFIG_HOME=$WORK/cfg $J --server $URL --user $1"; }
tmux new-session -d -s "$SESSION" -x 161 -y 26 "$(run ann)"
tmux split-window -h -t "$SESSION" "$(run bob)"
sleep 2
tmux send-keys -t "$SESSION:0.0" "Trying jetfeed: one pane to write, one live feed" Enter
sleep 1
# bob likes ann's tweet, the newest: it crosses over to ann's screen.
tmux send-keys -t "$SESSION:0.1" Tab l
sleep 1
tmux send-keys -t "$SESSION:0.0" "Likes update live in every terminal"
sleep 1

tmux capture-pane -p -e -t "$SESSION:0.0" >"$WORK/ann.ansi"
tmux capture-pane -p -e -t "$SESSION:0.1" >"$WORK/bob.ansi"
python3 - "$WORK" <<'EOF'
import html, re, sys, unicodedata
work = sys.argv[1]
BASIC = ["#1e1e1e", "#e06c75", "#98c379", "#e5c07b", "#61afef", "#c678dd", "#56b6c2", "#d0d0d0",
         "#7f7f7f", "#ff7b85", "#b5e890", "#ffd580", "#80c8ff", "#e09cff", "#7fe0ea", "#ffffff"]
def colour(n):
    if n < 16: return BASIC[n]
    if n < 232:
        n -= 16; c = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (c[n // 36], c[n // 6 % 6], c[n % 6])
    g = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (g, g, g)
def render(path):
    out, style = [], {}
    for line in open(path, encoding="utf-8").read().rstrip("\n").split("\n"):
        row = []
        for part in re.split(r"(\x1b\[[0-9;]*m)", line):
            if part.startswith("\x1b["):
                codes = [int(c) if c else 0 for c in part[2:-1].split(";")] or [0]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c == 0: style = {}
                    elif c == 1: style["font-weight"] = "bold"
                    elif c == 22: style.pop("font-weight", None)
                    elif c == 7: style["filter"] = "invert(1)"
                    elif 30 <= c <= 37: style["color"] = BASIC[c - 30]
                    elif 90 <= c <= 97: style["color"] = BASIC[c - 82]
                    elif c == 39: style.pop("color", None)
                    elif 40 <= c <= 47: style["background"] = BASIC[c - 40]
                    elif c == 49: style.pop("background", None)
                    elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
                        style["color" if c == 38 else "background"] = colour(codes[i + 2]); i += 2
                    i += 1
            elif part:
                css = ";".join(f"{k}:{v}" for k, v in style.items())
                # A wide character takes exactly two cells, whatever the font.
                text = "".join(
                    f'<span class="w">{html.escape(c)}</span>'
                    if unicodedata.east_asian_width(c) in "WF" else html.escape(c)
                    for c in part)
                row.append(f'<span style="{css}">{text}</span>' if css else text)
        out.append("".join(row))
    return "\n".join(out)
page = f"""<!doctype html><meta charset="utf-8"><style>
body {{ margin: 0; background: #1e1e1e; color: #d0d0d0; display: flex; gap: 0; }}
pre {{ margin: 0; padding: 10px; font: 14px/1.25 "DejaVu Sans Mono", "Noto Sans Mono CJK JP", "Noto Color Emoji", monospace; }}
.w {{ display: inline-block; width: 2ch; text-align: center; }}
</style><pre>{render(work + "/ann.ansi")}</pre><pre>{render(work + "/bob.ansi")}</pre>"""
open(work + "/shot.html", "w", encoding="utf-8").write(page)
EOF
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1390,470 \
    --screenshot="$PWD/assets/screenshot.png" "file://$WORK/shot.html" >/dev/null 2>&1
paste -d' ' <(tmux capture-pane -p -t "$SESSION:0.0") <(tmux capture-pane -p -t "$SESSION:0.1") \
    | sed 's/ *$//' >assets/screenshot.txt
echo "wrote assets/screenshot.png and assets/screenshot.txt"
