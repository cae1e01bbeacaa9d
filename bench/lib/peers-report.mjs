// Markdown and chart data for bench/peers.mjs, from its JSON result.
import { environmentMd, fmtBytes, mdTable } from './common.mjs';

const MiB = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const x = (r) => (Number.isFinite(r) ? `${r.toFixed(r < 10 ? 2 : 1)}×` : 'n/a');
const VSHORT = {
  mp4forge: 'mp4forge',
  workers: 'mp4forge workers',
  raw: 'raw encoder (1 thread)',
  hme: 'h264-mp4-encoder',
  x264: 'x264 1 thread',
  x264all: 'x264 all threads',
  mp4forgeMp3: 'mp4forge + MP3',
  x264Mp3: 'x264 1 thread + MP3 copy',
};

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
  if (r.settings.quick) md.push('**Quick run (`--quick`): development sizes and one repetition; not for quoting.**', '');
  md.push('## Summary', '', summaryMarkdown(r), '');

  const e = r.encode;
  if (e) {
    md.push('## 1. End-to-end encode', '');
    md.push(
      `${e.configs[0].frames} frames at 30 fps per run; ${r.settings.reps} repetitions for \`gradient\`, ${r.settings.noiseReps} for \`noise\` (x264 needs minutes per noise run), variant order rotated, medians. Source: ${e.content}; ${e.ring} distinct frames cycled (one GOP, so the repeat falls on a keyframe), piped as raw RGBA into each process's stdin, the way ffmpeg reads it. ` +
        "fps = frames / wall time from spawning the process to its exit (Node start, imports and WASM compilation included, like ffmpeg's start). CPU fps = frames per CPU second of that process (user + system, all its threads, from `/usr/bin/time -v`, as is peak RSS); the bench process writing the pipe is not counted for anyone. " +
        `The WASM variants use mp4forge's defaults: qp 26, speed 6, GOP 60. ${e.workersAvailable ? '' : 'The built dist has no worker pool (`renderVideo` is not exported), so only one-thread mp4forge was measured; rerun after merging the pool. '}` +
        `The raw encoder runs ${r.settings.rawFrames} frames (its own clock around addFrameYuv … finalize, in a fresh process); its ceiling is that fps × ${env.cores} cores: a computed ceiling, not a measurement, assuming perfect scaling. ` +
        'The MP3 pair (mp4forge with the 10 s MP3 against x264 with `-c:a copy` of it) runs at the first size and content only: the audio costs the same whatever the picture.',
      '',
    );
    for (const [k, v] of Object.entries(e.variants)) md.push(`- **${VSHORT[k]}**: ${v}`);
    md.push(`- x264: \`ffmpeg ${e.x264Args}\` (T = 1 or 0); with MP3: \`ffmpeg ${e.x264Mp3Args}\``, '');
    const order = Object.keys(e.variants);
    const cell = (c, v, f) => (c.variants[v] ? f(c.variants[v]) : '—');
    md.push('### Frames per second (median; CPU fps in brackets)', '');
    md.push(
      mdTable(
        ['size, content (reps)', ...order.map((v) => VSHORT[v]), `ceiling (raw × ${env.cores})`],
        e.configs.map((c) => [
          `${c.width}×${c.height} ${c.content} (${c.reps})`,
          ...order.map((v) => cell(c, v, (s) => `${s.fps.toFixed(1)} (${s.cpuFps.toFixed(1)})`)),
          c.variants.raw.ceilingFps.toFixed(1),
        ]),
      ),
      '',
    );
    md.push('### Ratios (mp4forge fps / peer fps; > 1 = mp4forge faster; by CPU time in brackets)', '');
    const who = e.workersAvailable ? 'workers' : 'one thread';
    md.push(
      mdTable(
        ['size, content', 'vs h264-mp4-encoder', 'vs x264 1 thread', `${who} vs x264 all threads`, `${who} vs ceiling`, '+ MP3 vs x264 + MP3 copy'],
        e.configs.map((c) => [
          `${c.width}×${c.height} ${c.content}`,
          `${x(c.ratios.vsHme)} (${x(c.ratios.vsHmeCpu)})`,
          `${x(c.ratios.vsX264OneThread)} (${x(c.ratios.vsX264OneThreadCpu)})`,
          x(c.ratios.vsX264AllThreads),
          x(c.ratios.vsCeiling),
          c.ratios.withMp3VsX264Mp3 === undefined ? '—' : `${x(c.ratios.withMp3VsX264Mp3)} (${x(c.ratios.withMp3VsX264Mp3Cpu)})`,
        ]),
      ),
      '',
    );
    md.push('### Output size, quality, peak memory', '');
    md.push(
      "RGB PSNR: the first repetition's file decoded by the npm ffmpeg to full-range RGB24 (BT.601 matrix), against the RGBA source; mean of per-frame PSNRs (worst frame). x264 runs at its default CRF 23, the WASM encoder at constant qp 26, so compare size and PSNR together. `noise` is independent random RGB per pixel: 4:2:0 chroma subsampling alone destroys most of it, so every encoder scores ~12-13 dB there; it measures throughput under a worst-case bitrate, not quality, and its PSNR is computed at the first size only (decoding 1080p noise costs minutes).",
      '',
    );
    const rows = [];
    for (const c of e.configs) {
      for (const v of order) {
        const s = c.variants[v];
        if (!s) continue;
        rows.push([
          `${c.width}×${c.height} ${c.content}`,
          VSHORT[v],
          `${MiB(s.bytes)}${v === 'raw' ? ` (${s.frames} frames)` : ''}`,
          s.rgbPsnrDb !== undefined ? `${s.rgbPsnrDb} (${s.rgbPsnrMinDb})` : '—',
          s.peakRssMiB,
          s.cpuSeconds,
          s.fpsRuns.join(', '),
        ]);
      }
    }
    md.push(mdTable(['size, content', 'variant', 'output', 'RGB PSNR dB (worst)', 'peak RSS MiB', 'CPU s', 'fps per run'], rows), '');
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
          'layout', 'samples (video + audio)', 'mp4forge MB/s (CPU)', 'Mediabunny MB/s (CPU)', 'mp4forge / Mediabunny',
          'output mp4forge / Mediabunny', 'peak RSS MiB mp4forge / Mediabunny (before)', 'ffprobe + mp4box',
        ],
        m.rows.map((row) => [
          row.layout, `${row.videoPackets} + ${row.audioPackets}`, `${row.mp4forge.mbps} (${row.mp4forge.cpuMbps})`,
          `${row.mediabunny.mbps} (${row.mediabunny.cpuMbps})`, `**${x(row.ratio)}**`,
          `${fmtBytes(row.mp4forge.bytes)} / ${fmtBytes(row.mediabunny.bytes)}`,
          `${row.mp4forge.peakRssMiB} / ${row.mediabunny.peakRssMiB} (${row.mp4forge.rssBeforeMiB} / ${row.mediabunny.rssBeforeMiB})`, 'both pass',
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

/** The ratios drawn in peers.svg: > 1 means mp4forge is ahead. */
export function headlineBars(r) {
  const bars = [];
  if (r.encode) {
    for (const c of r.encode.configs) {
      const g = `Encode ${c.width}×${c.height} ${c.content} (fps ratio, wall time)`;
      bars.push({ group: g, label: 'vs h264-mp4-encoder (README use)', value: c.ratios.vsHme });
      bars.push({ group: g, label: 'vs x264 ultrafast, 1 thread', value: c.ratios.vsX264OneThread });
      bars.push({ group: g, label: `${r.encode.workersAvailable ? 'workers' : '1 thread'} vs x264 ultrafast, all threads`, value: c.ratios.vsX264AllThreads });
      bars.push({
        group: g,
        label: `${r.encode.workersAvailable ? 'workers' : '1 thread'} vs raw encoder × ${r.environment.cores} (ceiling)`,
        value: c.ratios.vsCeiling,
      });
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
  return bars;
}

/** The headline tables (the README copies them): encode fps against each peer, then the rest. */
export function summaryMarkdown(r) {
  const out = [];
  const e = r.encode;
  if (e) {
    const f = (v) => `${v.fps.toFixed(1)} (${v.cpuFps.toFixed(1)})`;
    const cpu = (a, b) => x(a.cpuFps / b.cpuFps);
    out.push(
      mdTable(
        [
          'encode, 300 frames: fps wall (per CPU s)',
          'mp4forge, 1 thread',
          ...(e.workersAvailable ? ['mp4forge workers'] : []),
          'h264-mp4-encoder (README use)',
          'x264 ultrafast, 1 thread',
          `x264 ultrafast, ${r.environment.cores} threads`,
          `ceiling: raw encoder × ${r.environment.cores}`,
        ],
        e.configs.map((c) => [
          `${c.width}×${c.height} ${c.content}`,
          `**${f(c.variants.mp4forge)}**`,
          ...(e.workersAvailable ? [`**${c.variants.workers.fps.toFixed(1)}**`] : []),
          `${f(c.variants.hme)} → ${x(c.ratios.vsHme)} (${cpu(c.variants.mp4forge, c.variants.hme)})`,
          `${f(c.variants.x264)} → ${x(c.ratios.vsX264OneThread)} (${cpu(c.variants.mp4forge, c.variants.x264)})`,
          `${c.variants.x264all.fps.toFixed(1)} → ${x(c.ratios.vsX264AllThreads)}`,
          `${c.variants.raw.ceilingFps.toFixed(1)} → ${x(c.ratios.vsCeiling)}`,
        ]),
      ),
    );
    const pairs = e.workersAvailable
      ? 'mp4forge on one thread against the one-thread peers (h264-mp4-encoder, x264 with 1 thread), mp4forge with workers against x264 on all threads and against the ceiling'
      : 'mp4forge on one thread against every peer';
    out.push(
      '',
      `Each cell: fps by wall time (frames per CPU second in brackets), then → mp4forge / the peer (> 1× = mp4forge faster), by wall time (by CPU time in brackets), like with like: ${pairs}. On a loaded machine the CPU figures are the steadier ones; "all threads" and the ceiling are wall-time only (they are about using more cores).`,
      '',
    );
  }
  const rows = [];
  if (e) {
    const c = e.configs.find((k) => k.ratios.withMp3VsX264Mp3 !== undefined);
    if (c)
      rows.push([
        `encode + the same MP3 (${c.width}×${c.height} ${c.content}), fps wall (per CPU s)`,
        `${c.variants.mp4forgeMp3.fps.toFixed(1)} (${c.variants.mp4forgeMp3.cpuFps.toFixed(1)})`,
        `x264 1 thread + \`-c:a copy\`: ${c.variants.x264Mp3.fps.toFixed(1)} (${c.variants.x264Mp3.cpuFps.toFixed(1)})`,
        `${x(c.ratios.withMp3VsX264Mp3)} (${x(c.ratios.withMp3VsX264Mp3Cpu)})`,
      ]);
    const big = e.configs.find((k) => k.content === 'gradient' && k.width === Math.max(...e.configs.map((q) => q.width))) ?? e.configs[0];
    rows.push([
      `peak RSS, encode ${big.width}×${big.height} ${big.content} (MiB)`,
      big.variants.mp4forge.peakRssMiB,
      `x264 1 thread: ${big.variants.x264.peakRssMiB}; h264-mp4-encoder: ${big.variants.hme.peakRssMiB}`,
      x(big.variants.x264.peakRssMiB / big.variants.mp4forge.peakRssMiB),
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
  out.push(mdTable(['measurement', 'mp4forge', 'peer', 'mp4forge ahead by (> 1×) / behind (< 1×)'], rows));
  out.push('', 'Ratios: throughput mp4forge / peer; for time, memory and size, peer / mp4forge. So > 1× always means mp4forge is ahead.');
  return out.join('\n');
}
