#!/usr/bin/env python3
"""An external labeling program for vessel-wall masks, standing in for a user's solver.

It is what `ExternalProgramLabeler` (Examples/CustomLabelingTool) calls once per batch,
and the pattern a wrapped solver (FEBio, Abaqus, a Python model) follows:

    wall_labels.py BATCH.json [--pixel-size MM] [--hang-on ID]

BATCH.json holds {"samples": [{"id": 0, "shape": [H, W], "values": [...]}, ...]}: row-major
0/1 masks (1 = vessel wall, 0 = lumen and background). For every sample the program writes
one JSON line to standard output, as soon as that sample is done (any order):

    {"id": 0, "label": [lumen_area_mm2, wall_area_mm2, hoop_factor], "units": pixels_visited}
    {"id": 1, "error": "the mask has no lumen"}

after a first line {"ready": N} once the batch of N samples is read (the caller allows more time
for start-up than for each answer).

The label is closed-form: the lumen is the set of 0-pixels not connected (4-neighbourhood)
to the image border, a and b are the radii of circles with the lumen's area and the
lumen's plus the wall's area, and hoop_factor = sigma_theta(a) / p = (b^2 + a^2) / (b^2 - a^2)
is Lame's hoop stress at the inner wall of a thick-walled tube under lumen pressure p,
relative to p. "units" is the program's own cost measure (pixels visited by the flood fill).

--hang-on ID makes the program hang on sample ID (it starts a child `sleep` and waits for it),
standing in for a solver that never returns: the caller must kill the whole process group.

Only the standard library is used. Exit status 0 when every sample was answered (errors
included); 2 for an unreadable batch file (no sample answered).
"""
import json
import math
import os
import subprocess
import sys


def label(values, height, width, pixel_size):
    """Returns (label, pixels visited) or raises ValueError naming what is wrong."""
    if len(values) != height * width:
        raise ValueError(f"{len(values)} values for a {height}x{width} mask")
    for v in values:
        if v != 0 and v != 1:  # NaN compares unequal to both
            raise ValueError(f"the mask holds a value other than 0 and 1 ({v})")
    wall = sum(1 for v in values if v == 1)
    if wall == 0:
        raise ValueError("the mask has no wall pixel")
    for x in range(width):
        if values[x] == 1 or values[(height - 1) * width + x] == 1:
            raise ValueError("the wall touches the image border")
    for y in range(height):
        if values[y * width] == 1 or values[y * width + width - 1] == 1:
            raise ValueError("the wall touches the image border")
    # Flood fill the background from the border; the 0-pixels left form the lumens.
    seen = [False] * (height * width)
    visited = 0

    def fill(start):
        nonlocal visited
        stack = [start]
        seen[start] = True
        size = 0
        while stack:
            k = stack.pop()
            size += 1
            visited += 1
            y, x = divmod(k, width)
            for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                if 0 <= ny < height and 0 <= nx < width:
                    n = ny * width + nx
                    if not seen[n] and values[n] == 0:
                        seen[n] = True
                        stack.append(n)
        return size

    for k in range(height * width):
        y, x = divmod(k, width)
        on_border = y == 0 or x == 0 or y == height - 1 or x == width - 1
        if on_border and not seen[k] and values[k] == 0:
            fill(k)
    lumens = []
    for k in range(height * width):
        if not seen[k] and values[k] == 0:
            lumens.append(fill(k))
    if not lumens:
        raise ValueError("the mask has no lumen (no background pixel enclosed by the wall)")
    if len(lumens) > 1:
        raise ValueError(f"the mask has {len(lumens)} lumens; one is required")
    pixel_area = pixel_size * pixel_size
    lumen_area = lumens[0] * pixel_area
    wall_area = wall * pixel_area
    a2 = lumen_area / math.pi
    b2 = (lumen_area + wall_area) / math.pi
    hoop_factor = (b2 + a2) / (b2 - a2)
    return [lumen_area, wall_area, hoop_factor], visited


def main(argv):
    args = argv[1:]
    pixel_size = 0.2
    hang_on = None
    if not args:
        print("usage: wall_labels.py BATCH.json [--pixel-size MM] [--hang-on ID]", file=sys.stderr)
        return 2
    path = args.pop(0)
    while args:
        flag = args.pop(0)
        if flag == "--pixel-size" and args:
            pixel_size = float(args.pop(0))
        elif flag == "--hang-on" and args:
            hang_on = int(args.pop(0))
        else:
            print(f"unknown argument {flag}", file=sys.stderr)
            return 2
    try:
        with open(path, encoding="utf-8") as handle:
            samples = json.load(handle)["samples"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"cannot read the batch {path}: {error}", file=sys.stderr)
        return 2
    print(json.dumps({"ready": len(samples)}), flush=True)
    for sample in samples:
        ident = sample.get("id")
        if ident == hang_on:
            sleeper = subprocess.Popen(["sleep", "3600"])
            print(f"hanging on sample {ident} (pid {os.getpid()}, child {sleeper.pid})", file=sys.stderr, flush=True)
            sleeper.wait()
        try:
            shape = sample["shape"]
            result, visited = label(sample["values"], int(shape[-2]), int(shape[-1]), pixel_size)
            line = {"id": ident, "label": result, "units": visited}
        except (ValueError, KeyError, TypeError, IndexError) as error:
            line = {"id": ident, "error": str(error)}
        print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
