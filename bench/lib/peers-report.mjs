// Markdown and chart data for bench/peers.mjs, from its JSON result.
import { environmentMd, fmtBytes, fmtPct as pct, mdTable } from './common.mjs';

const MiB = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const x = (r) => (Number.isFinite(r) ? `${r.toFixed(r < 10 ? 2 : 1)}×` : 'n/a');
const num = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '—');
/** Column order and short names of the encode variants. */
export const VSHORT = {
  own: 'own encoder, 1 thread',
  ownWorkers: 'own encoder, workers',
  hme: 'h264-mp4-encoder',
  ffwasmUltrafast: 'ffmpeg.wasm ultrafast',
  ffwasmVeryfast: 'ffmpeg.wasm veryfast',
  x264: 'x264 ultrafast, 1 thread',
  x264all: 'x264 ultrafast, all threads',
  raw: 'own: raw (I420 → memory)',
  e2e: 'own: end to end (RGBA → file)',
  e2eLockstep: 'own: end to end, in turns with raw in one process',
  // the lockstep runs' third writer (a per-round ratio, not a variant of its own)
  e2eLockstepRgb: 'own: end to end, in the same turns',
  rawRgb: 'own: raw fed RGBA (RGBA → memory), in the same turns',
  scaleOne: 'own: end to end over whole chunks, 1 thread',
  scaleWorkers: 'own: end to end over whole chunks, workers',
  scaleTwo: 'own: one-thread runs at once, one per process (the ceiling for workers)',
  scaleOneWarm: 'own: over whole chunks, 1 thread, second file of the process',
  scaleWorkersWarm: 'own: over whole chunks, workers of a WorkerPool, second file',
  mp4forgeMp3: 'own + MP3',
  x264Mp3: 'x264 1 thread + MP3 copy',
};
const SPEED_COLUMNS = ['own', 'ownWorkers', 'hme', 'ffwasmUltrafast', 'ffwasmVeryfast', 'x264', 'x264all'];
const caseName = (c) => `${c.width}×${c.height} ${c.content}`;
const usable = (v) => v && !v.unavailable;

/** Who the own encoder is in this result: measured, forced, or absent (with why). */
function ownStatus(e) {
  const o = e.encoders.own;
  if (o.forced)
    return `**The own-encoder rows are forced (\`--own-anyway\`): this build has none (${o.reason}); they measure h264-mp4-encoder and are not the own encoder.**`;
  if (!o.available) return `**The own encoder is unavailable in this build** (${o.reason}): its rows are not measured, and the ratios that need it read n/a.`;
  return `The own encoder ran as video.encoder 'wasm' (the writer reported videoEncoder '${o.videoEncoder}').`;
}

export function renderMarkdown(r) {
  const env = r.environment;
  const md = ['# mp4forge against peers', ''];
  md.push(`Command: \`npm run bench:peers\` (= \`npm run build && ${r.command}\`).`, '');
  md.push(environmentMd(env), '');
  md.push(
    `Load average (1/5/15 min) at the start ${env.loadAverageAtStart.join(' / ')}; after each section: ${Object.entries(r.sections)
      .map(([k, v]) => `${k} ${v.loadAverageAfter.join(' / ')} (${v.seconds} s)`)
      .join('; ')}. ` +
      `The machine is shared: other processes take CPU, which lowers wall-clock figures (fps, MB/s) and leaves CPU-time figures mostly alone. Single runs are listed in the JSON; treat differences under ~10% as noise. Mediabunny ${r.versions.mediabunny}, codec-parser ${r.versions['codec-parser']}, mp4box ${r.versions.mp4box}.`,
    '',
  );
  if (r.settings.quick) md.push('**Quick run (`--quick`): development sizes, frame counts and one repetition; not for quoting.**', '');
  md.push('## Summary', '', summaryMarkdown(r), '');

  const e = r.encode;
  if (e) {
    const st = r.settings;
    md.push('## 1. Encode', '');
    md.push(ownStatus(e), '');
    md.push(
      `Frames: ${e.content.testsrc2}; plasma and noise from ${e.content.plasma}. ${e.ring} distinct frames per case, cycled (one GOP, so the repeat falls on a keyframe); every encoder gets the same frames. ` +
        `All encoders at constant qp, GOP 60 at 30 fps; mp4forge at its default speed. h264-mp4-encoder: ${e.encoders.hme.label}${e.encoders.hme.note ? ` — ${e.encoders.hme.note}` : ''}. ` +
        `ffmpeg.wasm: @ffmpeg/core ${e.ffmpegWasm.core} (x264 ${e.ffmpegWasm.x264 ?? '?'}), run in Node by calling the core directly in its own process; native x264: the npm ffmpeg (x264 ${e.x264Native ?? '?'}). x264 arguments (ffmpeg.wasm; the native ffmpeg reads the pipe with \`-i -\` instead of the looped file, and adds \`-benchmark\`): \`ffmpeg ${e.x264Args}\`.`,
      '',
    );
    for (const [k, v] of Object.entries(e.variants)) md.push(`- **${VSHORT[k]}**: ${v}`);
    md.push('');
    md.push(`### a) Speed at qp ${e.qp}`, '');
    md.push(
      `${st.frames} frames per run of smooth content (${st.noiseFrames} of noise), ${st.reps} repetitions (noise ${st.noiseReps}), variant order rotated, medians. ` +
        "fps = frames / wall time from spawning the process to its exit (Node start, imports and WASM compilation included, like ffmpeg's start); CPU fps = frames per CPU second of that process (user + system, all its threads, from `/usr/bin/time -v`, as is peak RSS); the bench process writing the pipe is not counted for anyone. " +
        "Encode-only CPU fps: the same frames over the CPU time of the encode alone, as each process reports it (mp4forge: createMp4Writer … finish; ffmpeg.wasm: `exec`, the core already loaded and the input in MEMFS; native ffmpeg: `-benchmark`'s transcode time). " +
        `The raw / end-to-end pair runs ${st.rawFrames} frames and is timed inside its process (its ceiling: raw fps × ${env.cores} cores, computed, not measured). ` +
        (st.scaleFrames
          ? `The workers' scaling runs are timed the same way over ${st.scaleFrames} frames of smooth content and ${st.scaleNoiseFrames} of noise: whole chunks (GOPs), as many for each worker. `
          : '') +
        (st.pairs
          ? `These in-process runs come in ${st.pairs} rounds, each round's runs back to back, forwards and backwards in turn (ABBA); their rows are medians over the rounds, and their ratios (section c) the medians of each round's ratio, so that the machine's drift over minutes stays out of them. `
          : '') +
        "ffmpeg.wasm's peak RSS includes its whole input ring in MEMFS. RGB PSNR: the first repetition's file decoded by the npm ffmpeg to full-range RGB24 (BT.601 matrix) against the RGBA source, mean of per-frame PSNRs (worst frame); noise at the first size only (4:2:0 caps it near 12-13 dB for everyone, and 1080p noise takes minutes to decode).",
      '',
    );
    const rows = [];
    for (const c of e.configs) {
      for (const [v, s] of Object.entries(c.variants)) {
        if (!s || s.unavailable) {
          rows.push([caseName(c), VSHORT[v], 'unavailable', '', '', '', '', '', '', '']);
          continue;
        }
        rows.push([
          caseName(c),
          VSHORT[v],
          s.frames,
          `${num(s.cpuFps)} (${num(s.fps)})`,
          num(s.encodeCpuFps),
          fmtBytes(s.bytes),
          s.rgbPsnrDb !== undefined ? `${s.rgbPsnrDb} (${s.rgbPsnrMinDb})` : '—',
          s.peakRssMiB,
          s.cpuSeconds,
          `${s.cpuFpsRuns.join(', ')}${s.identicalToOneThread !== undefined ? `; bytes ${s.identicalToOneThread ? '=' : '≠'} one thread` : ''}${s.ceilingFps ? `; ceiling ${s.ceilingFps}` : ''}${s.loadSeconds !== undefined ? `; core load ${s.loadSeconds} s` : ''}`,
        ]);
      }
    }
    md.push(
      mdTable(
        [
          'case',
          'variant',
          'frames',
          'CPU fps (fps)',
          'encode-only CPU fps',
          'output',
          'RGB PSNR dB (worst)',
          'peak RSS MiB',
          'CPU s',
          'CPU fps per run; notes',
        ],
        rows,
      ),
      '',
    );
    const sw = e.configs.filter((c) => c.sweep);
    if (sw.length) {
      md.push('### b) qp sweep: rate–distortion', '');
      md.push(
        `qp ${st.sweepQps.join(', ')} on ${st.sweepFrames} frames, one run per point (the output is deterministic). Rate = bytes; quality = RGB PSNR as above, and luma PSNR: the decoded Y plane against the source's exact BT.601 luma (no chroma; the conversion's chroma filter still moves it, through the bits chroma takes). BD-rate (Bjøntegaard, bench/lib/bd-rate.mjs): log-rate fitted as a cubic in PSNR per encoder, both fits integrated over the PSNR range the two curves share; the mean difference as a rate ratio (negative = fewer bytes at equal quality). ` +
          `Speed at equal quality: each encoder's encode-only frames per CPU second at its sweep points, interpolated linearly in PSNR, at the RGB PSNR h264-mp4-encoder reaches at qp ${e.qp}, moved into the range all sweeps cover when it lies outside one (n/a where they share none).`,
        '',
      );
      for (const c of sw) {
        md.push(`**${caseName(c)}**`, '');
        const encs = Object.keys(c.sweep.points);
        md.push(
          mdTable(
            [
              'encoder',
              ...c.sweep.qps.map((q) => `qp ${q}: kbit/s, RGB dB, Y dB, CPU fps`),
              'BD-rate vs h264-mp4-encoder: RGB; Y',
              'vs ffmpeg.wasm ultrafast: RGB; Y',
            ],
            encs.map((v) => [
              VSHORT[v],
              ...c.sweep.points[v].map((p) => `${p.kbps}, ${p.rgbPsnrDb.toFixed(2)}, ${num(p.yPsnrDb, 2)}, ${num(p.encodeCpuFps ?? p.cpuFps)}`),
              `${bdCell(c.sweep.bdRate.vsHme, v, 'hme')}; ${bdCell(c.sweep.bdRateLuma?.vsHme, v, 'hme')}`,
              `${bdCell(c.sweep.bdRate.vsFfwasmUltrafast, v, 'ffwasmUltrafast')}; ${bdCell(c.sweep.bdRateLuma?.vsFfwasmUltrafast, v, 'ffwasmUltrafast')}`,
            ]),
          ),
          '',
        );
      }
    }
    md.push('### c) Ratios', '');
    md.push(
      mdTable(
        [
          'case',
          'own / h264-mp4-encoder (encode CPU)',
          'own / ffmpeg.wasm ultrafast (encode CPU)',
          'own / ffmpeg.wasm veryfast (encode CPU)',
          'own / x264 1 thread (encode CPU)',
          `workers / one thread (wall: whole chunks in memory; ${st.frames} frames through the pipe)`,
          'one-thread runs at once / one (wall: what the machine gives); workers / them; workers of a warm WorkerPool / one thread, second file',
          'workers / x264 all threads (wall)',
          'workers / ceiling',
          'end to end / raw (wall; CPU; in turns in one process, wall)',
          'at equal PSNR: own / h264-mp4-encoder, / ffmpeg.wasm ultrafast (CPU)',
        ],
        e.configs.map((c) => {
          const q = c.ratios;
          return [
            caseName(c),
            x(q.ownVsHmeCpu),
            x(q.ownVsFfwasmUltrafastCpu),
            x(q.ownVsFfwasmVeryfastCpu),
            x(q.ownVsX264Cpu),
            `${x(q.workersVsOneThreadChunks)}; ${x(q.workersVsOneThread)}`,
            `${x(q.independentTwoVsOne)}; ${x(q.workersVsIndependentTwo)}; ${x(q.warmWorkersVsOneThread)}`,
            x(q.workersVsX264All),
            x(q.workersVsCeiling),
            `${x(q.e2eVsRaw)}; ${x(q.e2eVsRawCpu)}; ${x(q.e2eVsRawLockstep)}`,
            q.ownVsHmeAtEqualPsnrCpu !== undefined ? `${x(q.ownVsHmeAtEqualPsnrCpu)}, ${x(q.ownVsFfwasmUltrafastAtEqualPsnrCpu)}` : '—',
          ];
        }),
      ),
      '',
    );
    const rounds = e.configs.filter((c) => c.pairs?.perRound && Object.keys(c.pairs.perRound).length);
    if (rounds.length) {
      md.push(`Each round's ratio (wall fps; CPU fps), in the order the rounds ran:`, '');
      md.push(
        mdTable(
          ['case', ...Object.keys(rounds[0].pairs.perRound).map((v) => `${VSHORT[v]} / ${VSHORT[rounds[0].pairs.perRound[v].against]}`)],
          rounds.map((c) => [
            caseName(c),
            ...Object.values(c.pairs.perRound).map((q) => q.fps.map((f, i) => `${f.toFixed(2)} (${q.cpuFps[i].toFixed(2)})`).join(', ')),
          ]),
        ),
        '',
      );
    }
    // The MP3 pair, where this run measured it (--encoders may leave it out).
    const mp3 = e.configs.find((c) => c.ratios.withMp3VsX264Mp3 !== undefined && (c.variants.mp4forgeMp3 || c.variants.x264Mp3));
    if (mp3)
      md.push(
        `With the ${st.frames / 30} s MP3 (${caseName(mp3)}): own encoder + MP3 ${usable(mp3.variants.mp4forgeMp3) ? `${num(mp3.variants.mp4forgeMp3.fps)} fps (${num(mp3.variants.mp4forgeMp3.cpuFps)} per CPU s)` : 'unavailable'} against x264 1 thread + \`-c:a copy\` ${usable(mp3.variants.x264Mp3) ? `${num(mp3.variants.x264Mp3.fps)} (${num(mp3.variants.x264Mp3.cpuFps)})` : 'n/a'}: ${x(mp3.ratios.withMp3VsX264Mp3)} (${x(mp3.ratios.withMp3VsX264Mp3Cpu)}).`,
        '',
      );
  }

  const m = r.mux;
  if (m) {
    md.push('## 2. Muxing only', '');
    md.push(
      `Input: ${m.source}. The samples are interleaved by decode time and handed to each muxer in the same order; output into memory. mp4forge: ${m.mp4forgeApi}. Mediabunny: \`Output\` + \`Mp4OutputFormat({ fastStart: 'in-memory' | 'fragmented' })\` + \`EncodedVideoPacketSource('avc')\` (avcC as \`decoderConfig.description\`) + \`EncodedAudioPacketSource('mp3')\` + \`BufferTarget\`. ` +
        `Each run is a fresh process (${r.settings.muxReps} per muxer and layout, alternating); MB/s = output bytes / seconds inside the process, from the first sample to the finished buffer. Peak RSS (/usr/bin/time -v) includes the input packets held in memory (RSS before muxing in brackets). Every output of the first run was checked: ffprobe packet counts and mp4box.js sample counts equal the samples muxed.`,
      '',
    );
    md.push(
      mdTable(
        [
          'layout',
          'samples (video + audio)',
          'mp4forge MB/s (CPU)',
          'Mediabunny MB/s (CPU)',
          'mp4forge / Mediabunny',
          'output mp4forge / Mediabunny',
          'peak RSS MiB mp4forge / Mediabunny (before)',
          'ffprobe + mp4box',
        ],
        m.rows.map((row) => [
          row.layout,
          `${row.videoPackets} + ${row.audioPackets}`,
          `${row.mp4forge.mbps} (${row.mp4forge.cpuMbps})`,
          `${row.mediabunny.mbps} (${row.mediabunny.cpuMbps})`,
          `**${x(row.ratio)}**`,
          `${fmtBytes(row.mp4forge.bytes)} / ${fmtBytes(row.mediabunny.bytes)}`,
          `${row.mp4forge.peakRssMiB} / ${row.mediabunny.peakRssMiB} (${row.mp4forge.rssBeforeMiB} / ${row.mediabunny.rssBeforeMiB})`,
          'both pass',
        ]),
      ),
      '',
    );
  }

  const p = r.parse;
  if (p) {
    md.push('## 3. MP3 parsing', '');
    md.push(
      `A ${p.file} file of ${(p.bytes / 1e6).toFixed(1)} MB, generated at run time; ${p.parsers.mp4forge.runs.length} timed runs each after a warm-up, medians. The frame lists must agree (count, every frame's size, every timestamp within 1 µs, mp4forge's timestamps being the running sample count / sample rate) or the bench fails. ` +
        'mp4forge and Mediabunny skip the LAME Info (Xing) frame at the start, which holds no audio; codec-parser returns it as its first frame, so it is dropped (after checking its position and that the next frame lines up) before comparing.',
      '',
    );
    md.push(
      mdTable(
        ['parser', 'API', 'MB/s', 'frames found', 'compared', 'agrees', 'mp4forge / it'],
        Object.entries(p.parsers).map(([n, s]) => [
          n,
          p.api[n],
          s.mbps,
          s.frames,
          `${s.framesCompared}${s.infoFrameDropped ? ' (Info frame dropped)' : ''}`,
          s.agrees ? 'yes' : 'NO',
          n === 'mp4forge' ? '—' : x(p.parsers.mp4forge.mbps / s.mbps),
        ]),
      ),
      '',
    );
  }

  const c = r.cold;
  if (c) {
    md.push('## 4. Cold start and install size', '');
    md.push(
      `A fresh \`node\` per measurement, ${c.reps} each (interleaved), medians. Times are from the start of the import to each point (\`performance.now()\` in the child); "process" is spawn → exit as the parent sees it, including Node's own start-up.`,
      '',
    );
    for (const [k, v] of Object.entries(c.what)) md.push(`- **${k}**: ${v}`);
    md.push('');
    const name = { mp4forge: 'mp4forge', hme: 'h264-mp4-encoder alone', mediabunny: 'Mediabunny (mux only)' };
    md.push(
      mdTable(
        ['package', 'import ms', 'first frame ms', 'finished ms', 'process ms', 'peak RSS MiB', 'installed (own + production deps)'],
        Object.entries(c.results).map(([k, s]) => [
          name[k],
          s.importMs,
          `**${s.firstFrameMs}**`,
          s.finishedMs,
          s.wallMs,
          s.peakRssMiB,
          `${MiB(s.installBytes.totalBytes)} (${MiB(s.installBytes.ownBytes)} + ${
            Object.entries(s.installBytes.deps)
              .map(([d, b]) => `${d} ${MiB(b)}`)
              .join(', ') || 'none'
          })`,
        ]),
      ),
      '',
    );
    md.push(
      "mp4forge's own size is `npm pack`'s unpacked size (dist, README, package.json); the others are their installed directories. Dependencies are the production closure as resolved in node_modules (types-only packages count too: npm installs them).",
      '',
    );
  }
  md.push(`Total runtime: ${r.runtimeSeconds} s.`);
  return md.join('\n');
}

function bdCell(table, v, ref) {
  if (v === ref) return 'reference';
  if (!table) return '—';
  const d = table[v];
  return d ? `${pct(d.percent)} (over ${d.fromDb}–${d.toDb} dB)` : 'n/a (no common PSNR range)';
}

/** The ratios drawn in peers.svg: > 1 means mp4forge (its own encoder) is ahead. */
export function headlineBars(r) {
  const bars = [];
  if (r.encode) {
    for (const c of r.encode.configs) {
      const g = `Encode ${caseName(c)}, qp ${r.encode.qp} (frames per CPU second ratio)`;
      bars.push({ group: g, label: 'own encoder vs h264-mp4-encoder', value: c.ratios.ownVsHmeCpu });
      bars.push({ group: g, label: 'own encoder vs ffmpeg.wasm ultrafast', value: c.ratios.ownVsFfwasmUltrafastCpu });
      bars.push({ group: g, label: 'own encoder vs native x264 ultrafast, 1 thread', value: c.ratios.ownVsX264Cpu });
      const workers = c.ratios.workersVsOneThreadChunks ?? c.ratios.workersVsOneThread;
      bars.push({ group: g, label: `${r.encode.workers} workers vs one thread (wall, whole chunks)`, value: workers });
    }
  }
  if (r.mux) for (const row of r.mux.rows) bars.push({ group: 'Muxing (MB/s ratio)', label: `vs Mediabunny, ${row.layout}`, value: row.ratio });
  if (r.parse) {
    bars.push({ group: 'MP3 parsing (MB/s ratio)', label: 'vs Mediabunny', value: r.parse.ratios.vsMediabunny });
    bars.push({ group: 'MP3 parsing (MB/s ratio)', label: 'vs codec-parser', value: r.parse.ratios.vsCodecParser });
  }
  if (r.cold) {
    const s = r.cold.results;
    bars.push({
      group: 'Cold start (peer time / mp4forge time)',
      label: 'import → first frame vs h264-mp4-encoder',
      value: s.hme.firstFrameMs / s.mp4forge.firstFrameMs,
    });
    bars.push({
      group: 'Cold start (peer time / mp4forge time)',
      label: 'import → first packet, Mediabunny (no encoder)',
      value: s.mediabunny.firstFrameMs / s.mp4forge.firstFrameMs,
    });
    bars.push({
      group: 'Install size (peer / mp4forge)',
      label: 'h264-mp4-encoder alone',
      value: s.hme.installBytes.totalBytes / s.mp4forge.installBytes.totalBytes,
    });
    bars.push({
      group: 'Install size (peer / mp4forge)',
      label: 'Mediabunny',
      value: s.mediabunny.installBytes.totalBytes / s.mp4forge.installBytes.totalBytes,
    });
  }
  return bars.filter((b) => Number.isFinite(b.value));
}

/** The acceptance table of issue 13: each ratio, its target, the worst case, whether it is met. */
export function acceptanceMarkdown(e) {
  return mdTable(
    ['issue 13 acceptance', 'target', 'measured', 'worst', 'met'],
    e.acceptance.map((a) => {
      const isPct = a.what.includes('%');
      const f = (v) => (v === null || v === undefined ? 'n/a' : isPct ? pct(v) : x(v));
      const measured = a.values.map((v) => `${v.at}: ${f(v.value)}`).join('; ') || '—';
      // A row without a target only reports (the native x264 ratio): no worst case, nothing met.
      if (a.target === null) return [a.what, '—', measured, '—', '—'];
      return [a.what, isPct ? `${a.target}%` : `${a.target}×`, measured, f(a.worst), a.met === null ? 'n/a' : a.met ? 'yes' : '**no**'];
    }),
  );
}

/** The headline tables (the README copies them with --readme): speed, rate–distortion, acceptance, the rest. */
export function summaryMarkdown(r) {
  const out = [];
  const e = r.encode;
  if (e) {
    const cols = SPEED_COLUMNS.filter((v) => e.variants[v]);
    out.push(
      mdTable(
        [`encode at qp ${e.qp}: frames per CPU second (fps wall)`, ...cols.map((v) => VSHORT[v])],
        e.configs.map((c) => [
          `${caseName(c)} (${c.frames} frames)`,
          ...cols.map((v) => {
            const s = c.variants[v];
            if (!s) return '—';
            if (s.unavailable) return 'unavailable';
            const cell = `${num(s.cpuFps)} (${num(s.fps)})`;
            return v === 'own' ? `**${cell}**` : cell;
          }),
        ]),
      ),
    );
    out.push(
      '',
      'Whole processes, spawn to exit (start-up included), medians; CPU = user + system of all threads. ' +
        `${ownStatus(e)}${e.encoders.hme.note ? ` h264-mp4-encoder: ${e.encoders.hme.note}.` : ''}`,
      '',
    );
    const sw = e.configs.filter((c) => c.sweep);
    if (sw.length) {
      const encs = Object.keys(sw[0].sweep.points);
      const bdPair = (c, table, v) => {
        const one = (ref, t) => (v === ref ? 'ref' : t?.[v] ? pct(t[v].percent) : 'n/a');
        return `${one('hme', table?.vsHme)} / ${one('ffwasmUltrafast', table?.vsFfwasmUltrafast)}`;
      };
      const rows = [];
      for (const c of sw) {
        rows.push([`${caseName(c)}: BD-rate, RGB PSNR`, ...encs.map((v) => bdPair(c, c.sweep.bdRate, v))]);
        rows.push(['〃 BD-rate, luma PSNR', ...encs.map((v) => bdPair(c, c.sweep.bdRateLuma, v))]);
        const q = c.sweep.equalQuality;
        rows.push([
          `〃 frames per CPU s at ${num(q?.rgbPsnrDb, 2)} dB RGB${q?.moved ? ` (h264-mp4-encoder's qp ${q.qp}: ${num(q.referencePsnrDb, 2)} dB, outside a sweep)` : ''}`,
          ...encs.map((v) => num(q?.encodeCpuFps?.[v])),
        ]);
      }
      out.push(
        mdTable(
          [
            `rate–distortion, qp ${sw[0].sweep.qps.join('/')}, ${sw[0].sweep.frames} frames (BD-rate vs h264-mp4-encoder / vs ffmpeg.wasm ultrafast)`,
            ...encs.map((v) => VSHORT[v]),
          ],
          rows,
        ),
      );
      out.push(
        '',
        `BD-rate < 0: fewer bytes than the reference at equal PSNR (Bjøntegaard, cubic fit, over the PSNR range both curves cover). RGB PSNR is what a viewer gets from RGBA in; luma PSNR leaves out chroma subsampling, but not each tool's RGB → YUV filter: a smoother chroma filter leaves more of the bits to luma (on testsrc2 that is most of a luma gap; \`npm run bench:same-input\` feeds x264 the same I420). Frames per CPU second at equal quality: encode-only, interpolated along each sweep to the RGB PSNR h264-mp4-encoder reaches at qp ${e.qp}: speed at equal quality, not at equal qp.`,
        '',
      );
    }
    out.push(acceptanceMarkdown(e), '');
  }
  const rows = [];
  if (e) {
    const c = e.configs.find((k) => k.ratios.withMp3VsX264Mp3 !== undefined);
    if (c && usable(c.variants.mp4forgeMp3) && usable(c.variants.x264Mp3))
      rows.push([
        `encode + the same MP3 (${caseName(c)}), fps wall (per CPU s)`,
        `${num(c.variants.mp4forgeMp3.fps)} (${num(c.variants.mp4forgeMp3.cpuFps)})`,
        `x264 1 thread + \`-c:a copy\`: ${num(c.variants.x264Mp3.fps)} (${num(c.variants.x264Mp3.cpuFps)})`,
        `${x(c.ratios.withMp3VsX264Mp3)} (${x(c.ratios.withMp3VsX264Mp3Cpu)})`,
      ]);
    const big = [...e.configs].filter((k) => k.content !== 'noise').sort((p, q) => q.width * q.height - p.width * p.height)[0];
    if (big && usable(big.variants.own) && usable(big.variants.x264))
      rows.push([
        `peak RSS, encode ${caseName(big)} (MiB)`,
        big.variants.own.peakRssMiB,
        `x264 1 thread: ${big.variants.x264.peakRssMiB}; h264-mp4-encoder: ${big.variants.hme?.peakRssMiB ?? 'n/a'}`,
        x(big.variants.x264.peakRssMiB / big.variants.own.peakRssMiB),
      ]);
  }
  if (r.mux) for (const m of r.mux.rows) rows.push([`muxing H.264 + MP3, ${m.layout} (MB/s)`, m.mp4forge.mbps, `Mediabunny: ${m.mediabunny.mbps}`, x(m.ratio)]);
  if (r.parse) {
    const p = r.parse.parsers;
    rows.push([
      `MP3 parsing, ${Math.round(r.parse.bytes / 1e6)} MB (MB/s)`,
      p.mp4forge.mbps,
      `Mediabunny: ${p.mediabunny.mbps}`,
      x(r.parse.ratios.vsMediabunny),
    ]);
    rows.push(['〃', '', `codec-parser: ${p.codecParser.mbps}`, x(r.parse.ratios.vsCodecParser)]);
  }
  if (r.cold) {
    const s = r.cold.results;
    rows.push([
      'cold start: import → first 720p frame (ms)',
      s.mp4forge.firstFrameMs,
      `h264-mp4-encoder: ${s.hme.firstFrameMs}`,
      x(s.hme.firstFrameMs / s.mp4forge.firstFrameMs),
    ]);
    rows.push([
      '〃',
      '',
      `Mediabunny (mux one packet; no encoder in Node): ${s.mediabunny.firstFrameMs}`,
      x(s.mediabunny.firstFrameMs / s.mp4forge.firstFrameMs),
    ]);
    rows.push([
      'installed size with production deps (MiB)',
      (s.mp4forge.installBytes.totalBytes / 2 ** 20).toFixed(1),
      `h264-mp4-encoder: ${(s.hme.installBytes.totalBytes / 2 ** 20).toFixed(1)}`,
      x(s.hme.installBytes.totalBytes / s.mp4forge.installBytes.totalBytes),
    ]);
    rows.push([
      '〃',
      '',
      `Mediabunny: ${(s.mediabunny.installBytes.totalBytes / 2 ** 20).toFixed(1)}`,
      x(s.mediabunny.installBytes.totalBytes / s.mp4forge.installBytes.totalBytes),
    ]);
  }
  if (rows.length) {
    out.push(mdTable(['measurement', 'mp4forge', 'peer', 'mp4forge ahead by (> 1×) / behind (< 1×)'], rows));
    out.push('', 'Ratios: throughput mp4forge / peer; for time, memory and size, peer / mp4forge. So > 1× always means mp4forge is ahead.');
  }
  return out.join('\n');
}
