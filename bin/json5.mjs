// A small JSON5 reader (https://spec.json5.org): comments, trailing commas, unquoted keys,
// single-quoted and multi-line strings, hex, +/-, leading or trailing dots, Infinity and NaN.
// openclaw.json is JSON5, and the doctor promises no dependencies.

export class Json5Error extends Error {
  constructor(message, line, column) {
    super(`line ${line}, column ${column}: ${message}`);
    this.line = line;
    this.column = column;
  }
}

const ID_START = /[\p{L}\p{Nl}$_]/u;
const ID_PART = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}$_\u200c\u200d]/u;
const ESCAPES = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", 0: "\0" };

export function parseJson5(text) {
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1;

  const fail = (message, at = i) => {
    let line = 1;
    let start = 0;
    for (let k = 0; k < at && k < text.length; k++) {
      if (text[k] === "\n") {
        line++;
        start = k + 1;
      }
    }
    throw new Json5Error(message, line, at - start + 1);
  };
  // Never quote the file's text in an error: the line may hold a token.
  const what = (c) => (c === undefined ? "end of file" : /[\w$]/.test(c) ? "a letter or digit" : `'${c}'`);

  const skip = () => {
    for (;;) {
      const c = text[i];
      if (c === "/" && text[i + 1] === "/") {
        while (i < text.length && text[i] !== "\n" && text[i] !== "\r") i++;
      } else if (c === "/" && text[i + 1] === "*") {
        const end = text.indexOf("*/", i + 2);
        if (end < 0) fail("unterminated /* comment");
        i = end + 2;
      } else if (c !== undefined && /[\s\u2028\u2029\ufeff]/.test(c)) i++;
      else return;
    }
  };

  const string = () => {
    const quote = text[i++];
    let out = "";
    for (;;) {
      const c = text[i];
      if (c === undefined || c === "\n" || c === "\r") fail("unterminated string");
      i++;
      if (c === quote) return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = text[i++];
      if (e in ESCAPES && !(e === "0" && /\d/.test(text[i] ?? ""))) out += ESCAPES[e];
      else if (e === "x" || e === "u") {
        const n = e === "x" ? 2 : 4;
        const hex = text.slice(i, i + n);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) fail(`bad \\${e} escape`, i - 2);
        out += String.fromCharCode(parseInt(hex, 16));
        i += n;
      } else if (e === "\r") {
        if (text[i] === "\n") i++; // a line continuation
      } else if (e === "\n" || e === "\u2028" || e === "\u2029") {
        // a line continuation
      } else if (e === undefined || /[1-9]/.test(e)) fail("bad escape", i - 2);
      else out += e;
    }
  };

  const identifier = () => {
    let out = "";
    while (i < text.length) {
      let c = text[i];
      if (c === "\\" && text[i + 1] === "u") {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("bad \\u escape in a key");
        c = String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else if (out === "" ? ID_START.test(c) : ID_PART.test(c)) i++;
      else break;
      out += c;
    }
    return out;
  };

  const number = () => {
    const m = /^[+-]?(?:Infinity|NaN|0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (!m) fail(`expected a value, got ${what(text[i])}`);
    i += m[0].length;
    const sign = m[0][0] === "-" ? -1 : 1;
    const body = m[0].replace(/^[+-]/, "");
    if (body === "Infinity") return sign * Infinity;
    if (body === "NaN") return NaN;
    if (/^0[xX]/.test(body)) return sign * parseInt(body.slice(2), 16);
    return sign * Number(body);
  };

  const value = (depth) => {
    if (depth > 200) fail("nested too deeply");
    skip();
    const c = text[i];
    if (c === "{") {
      i++;
      const obj = {};
      for (;;) {
        skip();
        if (text[i] === "}") {
          i++;
          return obj;
        }
        const at = i;
        const key = text[i] === '"' || text[i] === "'" ? string() : identifier();
        if (key === "" && i === at) fail(`expected a key or '}', got ${what(text[i])}`);
        skip();
        if (text[i] !== ":") fail(`expected ':' after a key, got ${what(text[i])}`);
        i++;
        // Like JSON.parse: "__proto__" is an own key, not the prototype.
        Object.defineProperty(obj, key, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
        skip();
        if (text[i] === ",") i++;
        else if (text[i] !== "}") fail(`expected ',' or '}', got ${what(text[i])}`);
      }
    }
    if (c === "[") {
      i++;
      const arr = [];
      for (;;) {
        skip();
        if (text[i] === "]") {
          i++;
          return arr;
        }
        arr.push(value(depth + 1));
        skip();
        if (text[i] === ",") i++;
        else if (text[i] !== "]") fail(`expected ',' or ']', got ${what(text[i])}`);
      }
    }
    if (c === '"' || c === "'") return string();
    for (const [word, v] of [["true", true], ["false", false], ["null", null]]) {
      if (text.startsWith(word, i) && !ID_PART.test(text[i + word.length] ?? "")) {
        i += word.length;
        return v;
      }
    }
    return number();
  };

  const result = value(0);
  skip();
  if (i < text.length) fail(`${what(text[i])} after the end of the document`);
  return result;
}
