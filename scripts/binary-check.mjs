#!/usr/bin/env node
// Static checks of a built `.node` from its own headers (ELF, Mach-O, PE), with no tools:
// format and architecture, the exported napi registration symbol, the dynamic libraries it
// needs, the highest glibc symbol version (ELF) and the minimum macOS (Mach-O).
//   node scripts/binary-check.mjs <file.node> <platform> [--glibc-floor 2.17] [--json]
import fs from "node:fs";
import { pathToFileURL } from "node:url";

const REGISTER = "napi_register_module_v1";

// ---------------------------------------------------------------- helpers

function reader(buf) {
  const need = (off, n) => {
    if (!Number.isInteger(off) || off < 0 || off + n > buf.length) throw new Error(`truncated: ${n} bytes at ${off} of ${buf.length}`);
    return off;
  };
  return {
    buf,
    u8: (o) => buf.readUInt8(need(o, 1)),
    u16: (o) => buf.readUInt16LE(need(o, 2)),
    u32: (o) => buf.readUInt32LE(need(o, 4)),
    i32: (o) => buf.readInt32LE(need(o, 4)),
    // Offsets and sizes in these files fit in 2^53; larger means a corrupt header.
    u64: (o) => {
      const v = buf.readBigUInt64LE(need(o, 8));
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`64-bit value too large at ${o}`);
      return Number(v);
    },
    i64: (o) => buf.readBigInt64LE(need(o, 8)),
    cstr(o, max = 4096) {
      need(o, 1);
      const end = buf.indexOf(0, o);
      if (end < 0 || end - o > max) throw new Error(`unterminated string at ${o}`);
      return buf.toString("latin1", o, end);
    },
  };
}

/** "GLIBC_2.2.5" -> [2, 2, 5]; compares numerically, part by part. */
export function versionParts(v) {
  return String(v).replace(/^[A-Z_]+_/, "").split(".").map(Number);
}
export function compareVersions(a, b) {
  const x = versionParts(a);
  const y = versionParts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

// ---------------------------------------------------------------- ELF (64-bit, little endian)

const ELF_MACHINE = { 62: "x64", 183: "arm64", 3: "ia32", 40: "arm" };
const SHT_DYNAMIC = 6;
const SHT_DYNSYM = 11;
const SHT_GNU_VERNEED = 0x6ffffffe;
const SHT_GNU_VERSYM = 0x6fffffff;
const DT_NEEDED = 1n;
const DT_SONAME = 14n;

function parseElf(buf) {
  const r = reader(buf);
  if (r.u8(4) !== 2 || r.u8(5) !== 1) throw new Error("only 64-bit little-endian ELF is handled");
  const type = r.u16(16);
  const machine = r.u16(18);
  const shoff = r.u64(0x28);
  const shentsize = r.u16(0x3a);
  const shnum = r.u16(0x3c);
  if (shoff === 0 || shnum === 0) throw new Error("ELF without section headers");
  const sections = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    sections.push({ type: r.u32(o + 4), offset: r.u64(o + 24), size: r.u64(o + 32), link: r.u32(o + 40), info: r.u32(o + 44), entsize: r.u64(o + 56) });
  }
  const strAt = (sec, off) => r.cstr(sections[sec.link].offset + off);

  const needed = [];
  let soname;
  const dyn = sections.find((s) => s.type === SHT_DYNAMIC);
  if (dyn) {
    for (let o = dyn.offset; o + 16 <= dyn.offset + dyn.size; o += 16) {
      const tag = r.i64(o);
      if (tag === 0n) break;
      if (tag === DT_NEEDED) needed.push(strAt(dyn, r.u64(o + 8)));
      if (tag === DT_SONAME) soname = strAt(dyn, r.u64(o + 8));
    }
  }

  // Version requirements: index (vna_other) -> {file, name}.
  const versions = new Map();
  const vn = sections.find((s) => s.type === SHT_GNU_VERNEED);
  if (vn) {
    let o = vn.offset;
    for (let i = 0; i < vn.info; i++) {
      const file = strAt(vn, r.u32(o + 4));
      let a = o + r.u32(o + 8);
      for (let j = 0, cnt = r.u16(o + 2); j < cnt; j++) {
        versions.set(r.u16(a + 6), { file, name: strAt(vn, r.u32(a + 8)) });
        const next = r.u32(a + 12);
        if (!next) break;
        a += next;
      }
      const next = r.u32(o + 12);
      if (!next) break;
      o += next;
    }
  }

  const exported = new Set();
  const imports = []; // {name, version}
  const dynsym = sections.find((s) => s.type === SHT_DYNSYM);
  const versym = sections.find((s) => s.type === SHT_GNU_VERSYM);
  if (dynsym) {
    const n = Math.floor(dynsym.size / (dynsym.entsize || 24));
    for (let i = 1; i < n; i++) {
      const o = dynsym.offset + i * 24;
      const name = strAt(dynsym, r.u32(o));
      const info = r.u8(o + 4);
      const bind = info >> 4;
      const visibility = r.u8(o + 5) & 3;
      const shndx = r.u16(o + 6);
      const ver = versym ? versions.get(r.u16(versym.offset + i * 2) & 0x7fff) : undefined;
      if (shndx === 0) imports.push({ name, version: ver?.name });
      // Defined, global or weak, default or protected visibility: what dlsym finds.
      else if ((bind === 1 || bind === 2) && (visibility === 0 || visibility === 3)) exported.add(name);
    }
  }
  const glibc = [...new Set([...versions.values()].map((v) => v.name).filter((n) => /^GLIBC_\d/.test(n)))].sort(compareVersions);
  return {
    format: "elf",
    arch: ELF_MACHINE[machine] ?? `machine ${machine}`,
    kind: type === 3 ? "shared object" : `e_type ${type}`,
    soname,
    needed,
    exported,
    imports,
    glibcVersions: glibc,
    glibcMax: glibc.at(-1)?.slice("GLIBC_".length),
  };
}

// ---------------------------------------------------------------- Mach-O (64-bit, thin)

const MACHO_CPU = { 0x01000007: "x64", 0x0100000c: "arm64", 7: "ia32", 12: "arm" };
const LC = {
  SYMTAB: 0x2,
  LOAD_DYLIB: 0xc,
  ID_DYLIB: 0xd,
  LOAD_WEAK_DYLIB: 0x80000018,
  REEXPORT_DYLIB: 0x8000001f,
  LAZY_LOAD_DYLIB: 0x20,
  LOAD_UPWARD_DYLIB: 0x80000023,
  DYLD_INFO: 0x22,
  DYLD_INFO_ONLY: 0x80000022,
  VERSION_MIN_MACOSX: 0x24,
  BUILD_VERSION: 0x32,
  DYLD_EXPORTS_TRIE: 0x80000033,
  CODE_SIGNATURE: 0x1d,
};
const macVersion = (v) => `${v >>> 16}.${(v >> 8) & 0xff}${v & 0xff ? `.${v & 0xff}` : ""}`;

function uleb(r, o) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = r.u8(o++);
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(b & 0x80)) return [value, o];
    if (shift > 49) throw new Error("uleb128 too long");
  }
}

/** Every name in a dyld export trie (depth-first; each node visited once). */
function exportTrie(r, start, size) {
  const names = new Set();
  const seen = new Set();
  const stack = [[0, ""]];
  while (stack.length) {
    const [node, prefix] = stack.pop();
    if (node >= size || seen.has(node)) continue;
    seen.add(node);
    let [terminal, o] = uleb(r, start + node);
    if (terminal > 0) names.add(prefix);
    o += terminal;
    const children = r.u8(o++);
    for (let i = 0; i < children; i++) {
      const edge = r.cstr(o);
      o += edge.length + 1;
      const [child, next] = uleb(r, o);
      o = next;
      stack.push([child, prefix + edge]);
    }
  }
  return names;
}

function parseMachO(buf) {
  const r = reader(buf);
  const cpu = r.u32(4);
  const filetype = r.u32(12);
  const ncmds = r.u32(16);
  const needed = [];
  let id;
  let minos;
  let sdk;
  let trie;
  let symtab;
  let signed = false;
  for (let i = 0, o = 32; i < ncmds; i++) {
    const cmd = r.u32(o);
    const size = r.u32(o + 4);
    if (size < 8) throw new Error(`load command ${i} has size ${size}`);
    if ([LC.LOAD_DYLIB, LC.LOAD_WEAK_DYLIB, LC.REEXPORT_DYLIB, LC.LAZY_LOAD_DYLIB, LC.LOAD_UPWARD_DYLIB].includes(cmd)) needed.push(r.cstr(o + r.u32(o + 8)));
    else if (cmd === LC.ID_DYLIB) id = r.cstr(o + r.u32(o + 8));
    else if (cmd === LC.BUILD_VERSION) {
      minos = macVersion(r.u32(o + 12));
      sdk = macVersion(r.u32(o + 16));
    } else if (cmd === LC.VERSION_MIN_MACOSX && !minos) {
      minos = macVersion(r.u32(o + 8));
      sdk = macVersion(r.u32(o + 12));
    } else if (cmd === LC.DYLD_INFO || cmd === LC.DYLD_INFO_ONLY) {
      if (r.u32(o + 44)) trie = [r.u32(o + 40), r.u32(o + 44)];
    } else if (cmd === LC.DYLD_EXPORTS_TRIE) trie = [r.u32(o + 8), r.u32(o + 12)];
    else if (cmd === LC.CODE_SIGNATURE) signed = true;
    else if (cmd === LC.SYMTAB) symtab = { symoff: r.u32(o + 8), nsyms: r.u32(o + 12), stroff: r.u32(o + 16) };
    o += size;
  }
  let exported = new Set();
  if (trie) exported = exportTrie(r, trie[0], trie[1]);
  else if (symtab) {
    // No trie: external symbols defined in a section (nlist_64: N_EXT and N_SECT).
    for (let i = 0; i < symtab.nsyms; i++) {
      const o = symtab.symoff + i * 16;
      const type = r.u8(o + 4);
      if (type & 0x01 && (type & 0x0e) === 0x0e) exported.add(r.cstr(symtab.stroff + r.u32(o)));
    }
  }
  return {
    format: "macho",
    arch: MACHO_CPU[cpu] ?? `cputype 0x${cpu.toString(16)}`,
    kind: { 6: "dylib", 8: "bundle" }[filetype] ?? `filetype ${filetype}`,
    id,
    needed,
    exported,
    exportCount: exported.size,
    minos,
    sdk,
    signed,
  };
}

// ---------------------------------------------------------------- PE (PE32+)

const PE_MACHINE = { 0x8664: "x64", 0xaa64: "arm64", 0x14c: "ia32" };

function parsePe(buf) {
  const r = reader(buf);
  const pe = r.u32(0x3c);
  if (r.u32(pe) !== 0x00004550) throw new Error("MZ file without a PE signature");
  const machine = r.u16(pe + 4);
  const nsec = r.u16(pe + 6);
  const optSize = r.u16(pe + 20);
  const characteristics = r.u16(pe + 22);
  const opt = pe + 24;
  const magic = r.u16(opt);
  if (magic !== 0x20b) throw new Error(`optional header magic 0x${magic.toString(16)}: only PE32+ is handled`);
  const ndirs = r.u32(opt + 108);
  const dir = (i) => (i < ndirs ? { rva: r.u32(opt + 112 + i * 8), size: r.u32(opt + 116 + i * 8) } : { rva: 0, size: 0 });
  const sections = [];
  for (let i = 0, o = opt + optSize; i < nsec; i++, o += 40) {
    sections.push({ va: r.u32(o + 12), vsize: r.u32(o + 8), rawSize: r.u32(o + 16), raw: r.u32(o + 20) });
  }
  const off = (rva) => {
    const s = sections.find((s) => rva >= s.va && rva < s.va + Math.max(s.vsize, s.rawSize));
    if (!s) throw new Error(`RVA 0x${rva.toString(16)} is in no section`);
    return rva - s.va + s.raw;
  };
  const exported = new Set();
  let dllName;
  const ex = dir(0);
  if (ex.rva) {
    const o = off(ex.rva);
    dllName = r.cstr(off(r.u32(o + 12)));
    const names = r.u32(o + 24);
    const table = off(r.u32(o + 32));
    for (let i = 0; i < names; i++) exported.add(r.cstr(off(r.u32(table + i * 4))));
  }
  // Imported DLLs and, per DLL, the names taken from it (ordinal imports as "#n").
  const imports = new Map();
  const thunkNames = (rva) => {
    const out = [];
    if (!rva) return out;
    for (let o = off(rva); ; o += 8) {
      const lo = r.u32(o);
      const hi = r.u32(o + 4);
      if (!lo && !hi) break;
      out.push(hi & 0x80000000 ? `#${lo & 0xffff}` : r.cstr(off(lo) + 2));
    }
    return out;
  };
  const im = dir(1);
  if (im.rva) {
    for (let o = off(im.rva); ; o += 20) {
      const name = r.u32(o + 12);
      const first = r.u32(o + 16);
      if (!name && !first) break;
      const dll = r.cstr(off(name));
      imports.set(dll, [...(imports.get(dll) ?? []), ...thunkNames(r.u32(o) || first)]);
    }
  }
  const delayed = dir(13);
  if (delayed.rva) {
    for (let o = off(delayed.rva); ; o += 32) {
      const name = r.u32(o + 4);
      if (!name) break;
      const dll = r.cstr(off(name));
      imports.set(dll, [...(imports.get(dll) ?? []), ...thunkNames(r.u32(o + 16))]);
    }
  }
  return {
    format: "pe",
    arch: PE_MACHINE[machine] ?? `machine 0x${machine.toString(16)}`,
    kind: characteristics & 0x2000 ? "dll" : "exe",
    dllName,
    needed: [...imports.keys()],
    imports,
    exported,
  };
}

/** Parses any of the three formats; throws on anything else. */
export function inspect(buf) {
  if (buf.length < 64) throw new Error(`${buf.length} bytes: not a binary`);
  const magic = buf.readUInt32BE(0);
  if (magic === 0x7f454c46) return parseElf(buf);
  if (buf.readUInt32LE(0) === 0xfeedfacf) return parseMachO(buf);
  if (magic === 0xcafebabe) throw new Error("universal (fat) Mach-O: check each slice");
  if (buf.readUInt16BE(0) === 0x4d5a) return parsePe(buf);
  throw new Error(`unknown magic 0x${magic.toString(16)}`);
}

// ---------------------------------------------------------------- what each platform must be

// Libraries a napi addon may need on each platform; anything else fails the check.
const GNU_LIBS = /^(libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libgcc_s\.so\.1|ld-linux-(x86-64|aarch64)\.so\.[12])$/;
const MUSL_LIBS = /^(libc\.so|libc\.musl-(x86_64|aarch64)\.so\.1|libgcc_s\.so\.1)$/;
// Rust's std links libiconv on Apple targets (zig's libiconv stub re-exports libcharset);
// both are in every macOS's /usr/lib. Frameworks only if TLS verification ever needs them.
const DARWIN_LIBS = /^(\/usr\/lib\/(libSystem\.B|libiconv\.2|libcharset\.1)\.dylib|\/System\/Library\/Frameworks\/(Security|CoreFoundation)\.framework\/Versions\/A\/(Security|CoreFoundation))$/;
const WIN_LIBS = /^(kernel32|ntdll|bcrypt|bcryptprimitives|ws2_32|advapi32|userenv|api-ms-win-[a-z0-9-]+)\.dll$|^node\.exe$/i;
// mingw's C runtime, part of every Windows; the msvc build uses the UCRT (api-ms-win-crt-*).
const WIN_GNU_LIBS = /^msvcrt\.dll$/i;

/** What `platform` (napi tag, e.g. linux-arm64-gnu, win32-x64-gnu) requires of its binary. */
export function expectationsFor(platform) {
  const [os, arch, abi] = platform.split("-");
  if (os === "linux") return { format: "elf", arch, register: REGISTER, libs: abi === "musl" ? MUSL_LIBS : GNU_LIBS, libc: abi };
  if (os === "darwin") return { format: "macho", arch, register: `_${REGISTER}`, libs: DARWIN_LIBS };
  if (os === "win32") return { format: "pe", arch, register: REGISTER, libs: WIN_LIBS, extraLibs: abi === "gnu" ? WIN_GNU_LIBS : undefined };
  throw new Error(`unknown platform ${platform}`);
}

/**
 * Checks one binary. Options: `glibcFloor` ("2.17": no GLIBC_ symbol version above it),
 * `macosMin` ("11.0": LC_BUILD_VERSION minos at most this), `hostExports` (a Set: for PE,
 * every name imported from node.exe must be in it). Returns {ok, problems, facts, info}.
 */
export function checkBuffer(buf, platform, { glibcFloor, macosMin, hostExports } = {}) {
  const want = expectationsFor(platform);
  const problems = [];
  let info;
  try {
    info = inspect(buf);
  } catch (err) {
    return { ok: false, problems: [`unreadable: ${err.message}`], facts: {}, info: undefined };
  }
  if (info.format !== want.format) problems.push(`format ${info.format}, want ${want.format}`);
  if (info.arch !== want.arch) problems.push(`architecture ${info.arch}, want ${want.arch}`);
  const kindOk = { elf: ["shared object"], macho: ["dylib", "bundle"], pe: ["dll"] }[info.format];
  if (!kindOk.includes(info.kind)) problems.push(`${info.kind}, want a loadable library (${kindOk.join("/")})`);
  if (!info.exported.has(want.register)) problems.push(`${want.register} is not exported`);
  const unexpected = info.needed.filter((l) => !want.libs.test(l) && !want.extraLibs?.test(l));
  if (unexpected.length) problems.push(`unexpected dynamic libraries: ${unexpected.join(", ")}`);
  const facts = { format: info.format, arch: info.arch, register: info.exported.has(want.register), needed: info.needed };

  if (info.format === "elf") {
    facts.glibcMax = info.glibcMax ?? null;
    if (want.libc === "musl" && info.glibcVersions.length) problems.push(`a musl binary that asks for ${info.glibcVersions.at(-1)}`);
    if (glibcFloor && info.glibcMax && compareVersions(info.glibcMax, glibcFloor) > 0) {
      const over = info.imports.filter((s) => s.version?.startsWith("GLIBC_") && compareVersions(s.version, glibcFloor) > 0)
        .sort((a, b) => compareVersions(b.version, a.version));
      const names = over.slice(0, 6).map((s) => `${s.name}@${s.version}`).join(", ");
      problems.push(`needs GLIBC_${info.glibcMax} > ${glibcFloor} (${over.length} symbols: ${names}${over.length > 6 ? ", ..." : ""})`);
    }
  }
  if (info.format === "macho") {
    facts.minos = info.minos ?? null;
    facts.exportCount = info.exportCount;
    facts.signed = info.signed;
    // Apple Silicon macOS loads no unsigned code; the linker's ad-hoc signature is enough.
    if (info.arch === "arm64" && !info.signed) problems.push("no LC_CODE_SIGNATURE: macOS on arm64 refuses to load it");
    if (!info.minos) problems.push("no LC_BUILD_VERSION / LC_VERSION_MIN_MACOSX");
    else if (macosMin && compareVersions(info.minos, macosMin) > 0) problems.push(`minimum macOS ${info.minos} > ${macosMin}`);
  }
  if (info.format === "pe") {
    const fromNode = [...info.imports].find(([dll]) => dll.toLowerCase() === "node.exe")?.[1] ?? [];
    facts.nodeImports = fromNode.length;
    if (hostExports) {
      const missing = fromNode.filter((n) => !hostExports.has(n));
      if (missing.length) problems.push(`node.exe does not export ${missing.join(", ")}`);
    }
  }
  return { ok: problems.length === 0, problems, facts, info };
}

export function checkFile(file, platform, opts) {
  return checkBuffer(fs.readFileSync(file), platform, opts);
}

/** One line for a table: "ok" or the problems, joined. */
export function verdict(result) {
  return result.ok ? "ok" : `FAIL: ${result.problems.join("; ")}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2);
  const [file, platform] = args.filter((a, i) => !a.startsWith("--") && !["--glibc-floor", "--macos-min"].includes(args[i - 1]));
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  if (!file || !platform) {
    console.error("usage: node scripts/binary-check.mjs <file.node> <platform> [--glibc-floor 2.17] [--macos-min 11.0] [--json]");
    process.exit(2);
  }
  const result = checkFile(file, platform, { glibcFloor: arg("--glibc-floor"), macosMin: arg("--macos-min") });
  if (process.argv.includes("--json")) console.log(JSON.stringify({ ok: result.ok, problems: result.problems, facts: result.facts }, null, 2));
  else console.log(`${file} (${platform}): ${verdict(result)}\n  ${JSON.stringify(result.facts)}`);
  process.exit(result.ok ? 0 : 1);
}
