import { describe, expect, it } from 'vitest';
import {
  apiUploadKey,
  deriveJobId,
  eventKeyCandidates,
  isFolderPlaceholder,
  isJobId,
  isUploadKey,
  jobIdFromUploadKey,
  newJobId,
  sanitiseFilename,
} from '../../../core/keys.ts';

/** How AWS writes a key into an S3 event: form-encoding, space as "+". */
const awsEventKey = (key: string) => encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');

describe('eventKeyCandidates', () => {
  it.each([
    ['uploads/plain.png'],
    ['uploads/my scan.png'],
    ['uploads/a+b.png'],
    ['uploads/100%.png'],
    ['uploads/100%20literal.png'],
    ['uploads/ünïcødé 日本語.png'],
    ['uploads/emoji 📄.png'],
  ])('finds %s among the decodings of its AWS-encoded and raw event keys', (key) => {
    expect(eventKeyCandidates(awsEventKey(key))[0]).toBe(key);
    expect(eventKeyCandidates(key)).toContain(key);
  });

  it('decodes "+" as a space first, keeping the raw key as the fallback', () => {
    expect(eventKeyCandidates('uploads/a+b.png')).toEqual(['uploads/a b.png', 'uploads/a+b.png']);
  });

  it('keeps only the raw key when it is not valid form-encoding', () => {
    expect(eventKeyCandidates('uploads/100%.png')).toEqual(['uploads/100%.png']);
  });

  it('handles very long keys (S3 allows 1024 bytes)', () => {
    const key = `uploads/${'ä b+'.repeat(200)}.png`;
    expect(eventKeyCandidates(awsEventKey(key))[0]).toBe(key);
  });
});

describe('deriveJobId', () => {
  const object = { bucket: 'b', key: 'uploads/x.png', etag: '"abc"' };

  it('is stable for the same object, with or without ETag quotes', () => {
    expect(deriveJobId(object)).toBe(deriveJobId({ ...object, etag: 'abc' }));
    expect(isJobId(deriveJobId(object))).toBe(true);
  });

  it('changes with new content under the same key', () => {
    expect(deriveJobId(object)).not.toBe(deriveJobId({ ...object, etag: 'def' }));
  });

  it('uses the version id when the bucket is versioned', () => {
    expect(deriveJobId({ ...object, versionId: 'v1' })).not.toBe(deriveJobId({ ...object, versionId: 'v2' }));
  });

  it('separates bucket and key so different pairs cannot collide by concatenation', () => {
    expect(deriveJobId({ bucket: 'ab', key: 'c', etag: 'e' })).not.toBe(
      deriveJobId({ bucket: 'a', key: 'bc', etag: 'e' }),
    );
  });
});

describe('upload keys', () => {
  it('round-trips the job id through an API upload key', () => {
    const id = newJobId();
    const key = apiUploadKey(id, 'scan.png');
    expect(key).toBe(`uploads/${id}/scan.png`);
    expect(jobIdFromUploadKey(key)).toBe(id);
  });

  it('does not read a job id from direct drops', () => {
    expect(jobIdFromUploadKey('uploads/scan.png')).toBeUndefined();
    expect(jobIdFromUploadKey('uploads/not-an-id/scan.png')).toBeUndefined();
    expect(jobIdFromUploadKey(`uploads/${newJobId()}/a/b.png`)).toBeUndefined();
  });

  it('recognises upload keys and folder placeholders', () => {
    expect(isUploadKey('uploads/a.png')).toBe(true);
    expect(isUploadKey('uploads/')).toBe(false);
    expect(isUploadKey('results/a.json')).toBe(false);
    expect(isFolderPlaceholder('uploads/folder/')).toBe(true);
  });
});

describe('sanitiseFilename', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\scan 1.png', 'scan 1.png'],
    ['.hidden', 'hidden'],
    ['a\u0000b\nc.png', 'abc.png'],
    ['weird<>:"|?*.png', 'weird_______.png'],
    ['', 'upload'],
    ['日本語.png', '日本語.png'],
  ])('%j -> %j', (input, expected) => {
    expect(sanitiseFilename(input)).toBe(expected);
  });

  it('caps the name at 200 bytes', () => {
    expect(Buffer.byteLength(sanitiseFilename(`${'é'.repeat(300)}.png`))).toBeLessThanOrEqual(200);
  });

  it('never splits a surrogate pair when it truncates', () => {
    // 1 + 50 four-byte letters = 201 bytes: cutting one UTF-16 unit would leave half a pair.
    const name = sanitiseFilename(`a${'\u{20000}'.repeat(50)}`);
    expect(name).toBe(`a${'\u{20000}'.repeat(49)}`);
    expect(/[\uD800-\uDFFF]/.test(name.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))).toBe(false);
    expect(() => encodeURIComponent(name)).not.toThrow();
  });
});
