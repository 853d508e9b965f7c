#!/usr/bin/env bash
# Runs every benchmark and prints the figures BENCHMARKS.md records, with the machine they came
# from. Needs the engine and the test image (scripts/test sets both up). Takes ~15 minutes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release --quiet
bin=target/release/wheelhouse

echo "## Machine"
echo "- $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "- $(free -g | awk '/Mem:/ {print $2}') GiB RAM, kernel $(uname -r)"
echo "- engine $(docker version -f '{{.Server.Version}} (API {{.Server.APIVersion}})'), cgroup v$(docker info -f '{{.CgroupVersion}}') ($(docker info -f '{{.CgroupDriver}}'))"
echo
echo "## Frame render (criterion, 200×50)"
cargo bench --quiet --bench render -- --warm-up-time 1 --measurement-time 3 >/dev/null 2>&1
find target/criterion -path '*/new/estimates.json' | sort | while read -r e; do
    name=${e#target/criterion/}
    python3 -c "import json,sys; print('- %s: %.0f µs median' % (sys.argv[1], json.load(open(sys.argv[2]))['median']['point_estimate'] / 1000))" \
        "${name%/new/estimates.json}" "$e"
done
echo
echo "## 100 idle local containers, cgroup sampling at 1 s"
python3 benches/measure.py --binary "$bin" --containers 100 --idle 60 --latency 11 | sed 's/^/- /'
echo
echo "## 100 idle local containers, stats-API sampling at 1 s"
WHEELHOUSE_METRICS_SOURCE=api python3 benches/measure.py --binary "$bin" --containers 100 --idle 60 | sed 's/^/- /'
echo
echo "## 100 stopped containers (a screen where nothing changes)"
python3 benches/measure.py --binary "$bin" --containers 100 --idle 60 --stopped | sed 's/^/- /'
echo
echo "## Fake engine, 1 000 containers (stats API sampling)"
python3 benches/measure.py --binary "$bin" --fake 1000 --idle 60 2>/dev/null | sed 's/^/- /'
echo
echo "## Fake engine, 10 000 containers (stats API sampling)"
python3 benches/measure.py --binary "$bin" --fake 10000 --idle 60 2>/dev/null | sed 's/^/- /'
