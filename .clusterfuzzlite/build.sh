#!/bin/bash -eu
# Builds every cargo-fuzz target in fuzz/ with the flags OSS-Fuzz sets (ASan, coverage
# instrumentation) and installs it in $OUT with its options, dictionary and seeds.

cd "$SRC/npy"
cargo fuzz build -O --debug-assertions --fuzz-dir fuzz

bin_dir=fuzz/target/x86_64-unknown-linux-gnu/release
for target in $(cargo fuzz list --fuzz-dir fuzz); do
    cp "$bin_dir/$target" "$OUT/"
    cp fuzz/npy.dict "$OUT/$target.dict"
    # Headers at the default limit (10,000 bytes) and a little data.
    printf '[libfuzzer]\nmax_len = 12000\ntimeout = 10\n' > "$OUT/$target.options"
    # Seeds: the conformance files and the committed findings of this target.
    seeds=$(mktemp -d)
    find conformance -name '*.npy' -not -path '*/target/*' -exec cp {} "$seeds/" \;
    if [ -d "fuzz/regressions/$target" ]; then
        cp fuzz/regressions/"$target"/* "$seeds/" 2>/dev/null || true
    fi
    (cd "$seeds" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
    rm -rf "$seeds"
done
