/**
 * Value converters for views: kernel timestamps to dates, errno values and
 * enum values to names. Pass them to a view per field or per type name:
 *
 * ```ts
 * import { errnoName, ktimeToDate, loadBtf } from "@bpfview/bpfview";
 * const offsetNs = 0n; // e.g. realtimeOffset("monotonic") from ffi/clock.ts
 * const V = loadBtf().view("task_struct", {
 *   fields: { start_time: ktimeToDate(offsetNs) },
 *   types: { "errseq_t": errnoName },
 * });
 * ```
 *
 * Kernel timestamps (`bpf_ktime_get_ns`, perf sample times) count
 * nanoseconds on CLOCK_MONOTONIC (`bpf_ktime_get_boot_ns`: CLOCK_BOOTTIME),
 * not from the epoch. Turning one into a wall-clock time needs the offset
 * between CLOCK_REALTIME and that clock. JavaScript exposes neither kernel
 * clock, so this module takes the offset as an argument; `ffi/clock.ts`
 * measures it with `clock_gettime` (needs `--allow-ffi`).
 *
 * @module
 */

import { BtfError } from "./error.ts";

/**
 * Linux errno names by number (the generic table of
 * `<asm-generic/errno-base.h>` and `<asm-generic/errno.h>`, as on x86-64 and
 * arm64, plus the kernel-internal codes from 512 that BPF programs can see).
 *
 * @example
 * ```ts
 * import { ERRNO_NAMES } from "@bpfview/bpfview";
 * console.log(ERRNO_NAMES[2]); // "ENOENT"
 * ```
 */
export const ERRNO_NAMES: Readonly<Record<number, string>> = Object.freeze({
  1: "EPERM",
  2: "ENOENT",
  3: "ESRCH",
  4: "EINTR",
  5: "EIO",
  6: "ENXIO",
  7: "E2BIG",
  8: "ENOEXEC",
  9: "EBADF",
  10: "ECHILD",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  15: "ENOTBLK",
  16: "EBUSY",
  17: "EEXIST",
  18: "EXDEV",
  19: "ENODEV",
  20: "ENOTDIR",
  21: "EISDIR",
  22: "EINVAL",
  23: "ENFILE",
  24: "EMFILE",
  25: "ENOTTY",
  26: "ETXTBSY",
  27: "EFBIG",
  28: "ENOSPC",
  29: "ESPIPE",
  30: "EROFS",
  31: "EMLINK",
  32: "EPIPE",
  33: "EDOM",
  34: "ERANGE",
  35: "EDEADLK",
  36: "ENAMETOOLONG",
  37: "ENOLCK",
  38: "ENOSYS",
  39: "ENOTEMPTY",
  40: "ELOOP",
  42: "ENOMSG",
  43: "EIDRM",
  44: "ECHRNG",
  45: "EL2NSYNC",
  46: "EL3HLT",
  47: "EL3RST",
  48: "ELNRNG",
  49: "EUNATCH",
  50: "ENOCSI",
  51: "EL2HLT",
  52: "EBADE",
  53: "EBADR",
  54: "EXFULL",
  55: "ENOANO",
  56: "EBADRQC",
  57: "EBADSLT",
  59: "EBFONT",
  60: "ENOSTR",
  61: "ENODATA",
  62: "ETIME",
  63: "ENOSR",
  64: "ENONET",
  65: "ENOPKG",
  66: "EREMOTE",
  67: "ENOLINK",
  68: "EADV",
  69: "ESRMNT",
  70: "ECOMM",
  71: "EPROTO",
  72: "EMULTIHOP",
  73: "EDOTDOT",
  74: "EBADMSG",
  75: "EOVERFLOW",
  76: "ENOTUNIQ",
  77: "EBADFD",
  78: "EREMCHG",
  79: "ELIBACC",
  80: "ELIBBAD",
  81: "ELIBSCN",
  82: "ELIBMAX",
  83: "ELIBEXEC",
  84: "EILSEQ",
  85: "ERESTART",
  86: "ESTRPIPE",
  87: "EUSERS",
  88: "ENOTSOCK",
  89: "EDESTADDRREQ",
  90: "EMSGSIZE",
  91: "EPROTOTYPE",
  92: "ENOPROTOOPT",
  93: "EPROTONOSUPPORT",
  94: "ESOCKTNOSUPPORT",
  95: "EOPNOTSUPP",
  96: "EPFNOSUPPORT",
  97: "EAFNOSUPPORT",
  98: "EADDRINUSE",
  99: "EADDRNOTAVAIL",
  100: "ENETDOWN",
  101: "ENETUNREACH",
  102: "ENETRESET",
  103: "ECONNABORTED",
  104: "ECONNRESET",
  105: "ENOBUFS",
  106: "EISCONN",
  107: "ENOTCONN",
  108: "ESHUTDOWN",
  109: "ETOOMANYREFS",
  110: "ETIMEDOUT",
  111: "ECONNREFUSED",
  112: "EHOSTDOWN",
  113: "EHOSTUNREACH",
  114: "EALREADY",
  115: "EINPROGRESS",
  116: "ESTALE",
  117: "EUCLEAN",
  118: "ENOTNAM",
  119: "ENAVAIL",
  120: "EISNAM",
  121: "EREMOTEIO",
  122: "EDQUOT",
  123: "ENOMEDIUM",
  124: "EMEDIUMTYPE",
  125: "ECANCELED",
  126: "ENOKEY",
  127: "EKEYEXPIRED",
  128: "EKEYREVOKED",
  129: "EKEYREJECTED",
  130: "EOWNERDEAD",
  131: "ENOTRECOVERABLE",
  132: "ERFKILL",
  133: "EHWPOISON",
  512: "ERESTARTSYS",
  513: "ERESTARTNOINTR",
  514: "ERESTARTNOHAND",
  515: "ENOIOCTLCMD",
  516: "ERESTART_RESTARTBLOCK",
  517: "EPROBE_DEFER",
  518: "EOPENSTALE",
  519: "ENOPARAM",
  521: "EBADHANDLE",
  522: "ENOTSYNC",
  523: "EBADCOOKIE",
  524: "ENOTSUPP",
  525: "ETOOSMALL",
  526: "ESERVERFAULT",
  527: "EBADTYPE",
  528: "EJUKEBOX",
  529: "EIOCBQUEUED",
  530: "ERECALLCONFLICT",
  531: "ENOGRACE",
});

/**
 * Converts an errno value to its name: `2` gives `"ENOENT"`, and a negative
 * value, as kernel functions return them, gives `"-ENOENT"`. Zero and
 * unknown values are returned unchanged.
 *
 * @example
 * ```ts
 * import { errnoName } from "@bpfview/bpfview";
 * console.log(errnoName(-13)); // "-EACCES"
 * ```
 */
export const errnoName = (raw: number | bigint): string | number | bigint => {
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v === 0) return raw;
  const name = ERRNO_NAMES[Math.abs(v)];
  if (name === undefined) return raw;
  return v < 0 ? `-${name}` : name;
};

function toBigint(x: number | bigint, what: string): bigint {
  if (typeof x === "bigint") return x;
  if (typeof x !== "number" || !Number.isFinite(x)) {
    throw new BtfError(`expected a finite ${what} (a number or bigint), found ${String(x)}`);
  }
  return BigInt(Math.round(x));
}

/**
 * A converter from a kernel timestamp (nanoseconds on CLOCK_MONOTONIC or
 * CLOCK_BOOTTIME) to a `Date`, given `offsetNs`, the CLOCK_REALTIME time
 * minus the source clock's time (see `realtimeOffset` in `ffi/clock.ts`).
 * Dates have millisecond resolution; use {@link ktimeToEpochNs} to keep
 * nanoseconds.
 *
 * @example
 * ```ts
 * import { ktimeToDate } from "@bpfview/bpfview";
 * const toDate = ktimeToDate(1_700_000_000_000_000_000n);
 * console.log(toDate(5_000_000n).toISOString()); // 2023-11-14T22:13:20.005Z
 * ```
 */
export function ktimeToDate(offsetNs: number | bigint): (raw: number | bigint) => Date {
  const off = toBigint(offsetNs, "clock offset");
  // Split the offset so the sum stays exact in milliseconds.
  const offMs = Number(off / 1_000_000n), offRest = Number(off % 1_000_000n);
  return (raw) => {
    const r = typeof raw === "bigint" ? raw : BigInt(Math.trunc(Number(raw)));
    const ms = Number(r / 1_000_000n) + offMs;
    const rest = Number(r % 1_000_000n) + offRest; // -2e6 < rest < 2e6
    return new Date(ms + Math.floor(rest / 1_000_000));
  };
}

/**
 * A converter from a kernel timestamp to nanoseconds since the epoch (a
 * bigint), given `offsetNs` as for {@link ktimeToDate}.
 *
 * @example
 * ```ts
 * import { ktimeToEpochNs } from "@bpfview/bpfview";
 * console.log(ktimeToEpochNs(1_000n)(5n)); // 1005n
 * ```
 */
export function ktimeToEpochNs(offsetNs: number | bigint): (raw: number | bigint) => bigint {
  const off = toBigint(offsetNs, "clock offset");
  return (raw) => (typeof raw === "bigint" ? raw : BigInt(Math.trunc(Number(raw)))) + off;
}

/**
 * Wraps a converter so it is applied to each element of an array member
 * (typed arrays and array views) instead of to the array.
 *
 * @example
 * ```ts
 * import { eachElement, errnoName } from "@bpfview/bpfview";
 * const errs = eachElement(errnoName);
 * console.log(errs(new Int32Array([-2, 0]))); // ["-ENOENT", 0]
 * ```
 */
export function eachElement(
  fn: (raw: number | bigint) => unknown,
): (raw: Iterable<unknown>) => unknown[] {
  return (raw) => Array.from(raw, (x) => fn(x as number | bigint));
}
