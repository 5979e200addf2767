/**
 * @module core/upload-size
 * An API upload must weigh what `POST /uploads` declared. The presigned URLs sign that size
 * (a PUT's and each multipart part's Content-Length, a POST policy's content-length-range), but
 * only AWS S3 enforces a signature and emulators none, so Ferry checks what really arrived: the
 * multipart parts at `complete` (functions/api/multipart.ts) and the object at ingest
 * (core/ingest/ingest-object.ts). These are the pure checks both use, and their sentences.
 */

/** Parts of a multipart upload of `size` bytes cut into parts of `partSize` (the last may be shorter). */
export function partCountFor(size: number, partSize: number): number {
  return Math.ceil(size / partSize);
}

/** Bytes part `partNumber` (1-based) must carry; 0 for a part number outside the plan. */
export function expectedPartBytes(partNumber: number, size: number, partSize: number): number {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > partCountFor(size, partSize)) return 0;
  return Math.min(partSize, size - (partNumber - 1) * partSize);
}

/** The sentence for an object of `arrived` bytes where `declared` were announced; none when they agree. */
export function sizeMismatch(arrived: number, declared: number): string | undefined {
  return arrived === declared ? undefined : `uploaded ${arrived} bytes, declared ${declared}`;
}

/** One uploaded part as S3 lists it (ListParts). */
export interface UploadedPart {
  partNumber: number;
  size: number;
}

/**
 * What is wrong with the parts that arrived for a multipart upload of `declared` bytes in parts
 * of `partSize`: a part outside the plan, or of another size than the plan gives it; none when
 * every part that arrived is as planned. A part not there yet is no mismatch (it may still come);
 * the caller checks that every part is listed.
 */
export function partsMismatch(
  parts: readonly UploadedPart[],
  declared: number,
  partSize: number,
): string | undefined {
  const arrived = parts.reduce((sum, p) => sum + p.size, 0);
  const total = arrived > declared ? `; ${sizeMismatch(arrived, declared)}` : '';
  for (const part of [...parts].sort((a, b) => a.partNumber - b.partNumber)) {
    const expected = expectedPartBytes(part.partNumber, declared, partSize);
    if (expected === 0) {
      const count = partCountFor(declared, partSize);
      return `part ${part.partNumber} was uploaded, but the plan has parts 1..${count}${total}`;
    }
    if (part.size !== expected) {
      return `part ${part.partNumber} is ${part.size} bytes, expected ${expected}${total}`;
    }
  }
  return undefined;
}
