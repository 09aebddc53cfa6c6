#!/usr/bin/env bash
# Rebuilds NotoSansCJKsc-Regular-subset.otf, the font embedded in printed notices: Noto Sans CJK SC
# Regular (SIL Open Font License 1.1) from Debian's fonts-noto-cjk, cut down to ASCII, the GB 2312
# hanzi (levels 1 and 2), CJK and full-width punctuation, so the binary and each PDF stay small.
# Needs: apt-get install fonts-noto-cjk; pip install fonttools.
set -euo pipefail
cd "$(dirname "$0")"
src=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
python3 - <<'PY' > chars.txt
chars = set(chr(c) for c in range(0x20, 0x7F))
for hi in range(0xA1, 0xF8):
    for lo in range(0xA1, 0xFF):
        try:
            chars.add(bytes([hi, lo]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
chars.update(chr(c) for c in range(0x3000, 0x3040))   # CJK symbols and punctuation
chars.update(chr(c) for c in range(0xFF01, 0xFF5F))   # full-width forms
chars.update("□·—…“”‘’×÷±≤≥℃№")
print("".join(sorted(chars)))
PY
pyftsubset "$src" --font-number=2 --text-file=chars.txt --layout-features='' \
    --output-file=NotoSansCJKsc-Regular-subset.otf --no-hinting
rm chars.txt
ls -l NotoSansCJKsc-Regular-subset.otf
