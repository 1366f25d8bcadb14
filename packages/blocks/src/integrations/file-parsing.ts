// Turning a file's bytes into data and text: type detection (magic bytes with `file-type`, then the
// name, then the declared content type, then a look at the text), and one parser per type — CSV
// (csv-parse), Excel .xlsx (read-excel-file), PDF text (unpdf, pdf.js underneath), Word .docx
// (mammoth), ZIP listings (fflate, without inflating anything), JSON and plain text. Images are not
// parsed here; the file parser block hands them to the model.
import { parse as parseCsv } from 'csv-parse/sync';
import { fileTypeFromBuffer } from 'file-type';
import { unzipSync } from 'fflate';
import mammoth from 'mammoth';
import readExcelFile from 'read-excel-file/node';
import { extractText, getDocumentProxy } from 'unpdf';
import { PetrelError } from '@petrel/protocol';

/** The kinds of file the parser knows (`file_type` values plus the ones auto-detection adds). */
export const PARSED_FILE_TYPES = ['csv', 'excel', 'pdf', 'image', 'docx', 'zip', 'json', 'text'] as const;
/** One of `PARSED_FILE_TYPES`. */
export type ParsedFileType = (typeof PARSED_FILE_TYPES)[number];

/** A parsed file: structured `data` (the block's output without a schema) and `text` (what a model reads). */
export type ParsedFile = {
  type: ParsedFileType;
  /** CSV/Excel: rows as objects keyed by the header row; PDF/docx/text: the text; JSON: the value; zip: the entries. */
  data: unknown;
  /** A text rendering for a model prompt ('' for images). */
  text: string;
  /** PDF: page count. */
  pages?: number;
  /** Excel: the sheet that was read and the names of all sheets. */
  sheet?: string;
  sheets?: string[];
  /** The MIME type (images: what the model is told). */
  mediaType: string;
};

/** Options of `parseFile`. */
export type ParseFileOptions = {
  /** The type to parse as; default detected. */
  type?: ParsedFileType | 'auto_detect';
  /** A file name or URL path, used by detection. */
  name?: string;
  /** The declared content type (an HTTP header), used by detection. */
  contentType?: string;
  /** Excel: the sheet to read (name or 1-based number); default the first. */
  worksheet?: string;
  /** The field named in errors; default `file_url`. */
  field?: string;
};

const EXTENSIONS: Record<string, ParsedFileType> = {
  csv: 'csv',
  tsv: 'csv',
  xlsx: 'excel',
  xlsm: 'excel',
  pdf: 'pdf',
  png: 'image',
  jpg: 'image',
  jpeg: 'image',
  gif: 'image',
  webp: 'image',
  docx: 'docx',
  zip: 'zip',
  json: 'json',
  txt: 'text',
  md: 'text',
  log: 'text',
  xml: 'text',
  html: 'text',
  htm: 'text',
};

const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };
const MEDIA_TYPES: Record<ParsedFileType, string> = {
  csv: 'text/csv',
  excel: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
  image: 'application/octet-stream',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  zip: 'application/zip',
  json: 'application/json',
  text: 'text/plain',
};
/** Most ZIP entries listed. */
const MAX_ZIP_ENTRIES = 10_000;

function extensionOf(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const path = name.split(/[?#]/)[0] ?? '';
  const match = /\.([A-Za-z0-9]{1,8})$/.exec(path);
  return match?.[1]?.toLowerCase();
}

function fromContentType(contentType: string | undefined): ParsedFileType | undefined {
  const mime = contentType?.split(';')[0]?.trim().toLowerCase();
  if (!mime) return undefined;
  if (mime === 'text/csv' || mime === 'application/csv' || mime === 'text/tab-separated-values') return 'csv';
  if (mime === 'application/pdf') return 'pdf';
  if (mime === 'application/json' || mime.endsWith('+json')) return 'json';
  if (mime.startsWith('image/')) return 'image';
  if (mime === MEDIA_TYPES.excel) return 'excel';
  if (mime === MEDIA_TYPES.docx) return 'docx';
  if (mime === 'application/zip') return 'zip';
  if (mime.startsWith('text/')) return 'text';
  return undefined;
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    return undefined;
  }
}

/** Detects a file's type: magic bytes first, then the name's extension, the content type, and finally the text itself. */
export async function detectFileType(bytes: Uint8Array, hints: { name?: string; contentType?: string } = {}): Promise<{ type: ParsedFileType; mediaType: string } | undefined> {
  const magic = await fileTypeFromBuffer(bytes);
  if (magic) {
    if (magic.ext === 'pdf') return { type: 'pdf', mediaType: magic.mime };
    if (magic.ext === 'xlsx') return { type: 'excel', mediaType: magic.mime };
    if (magic.ext === 'docx') return { type: 'docx', mediaType: magic.mime };
    if (IMAGE_TYPES[magic.ext]) return { type: 'image', mediaType: magic.mime };
    if (magic.ext === 'zip') {
      // file-type answers `zip` for some Office files; the name settles it.
      const byName = EXTENSIONS[extensionOf(hints.name) ?? ''];
      return byName === 'excel' || byName === 'docx' ? { type: byName, mediaType: MEDIA_TYPES[byName] } : { type: 'zip', mediaType: magic.mime };
    }
  }
  const extension = extensionOf(hints.name);
  const byName = extension ? EXTENSIONS[extension] : undefined;
  if (byName && byName !== 'image') return { type: byName, mediaType: MEDIA_TYPES[byName] };
  const byHeader = fromContentType(hints.contentType);
  if (byHeader && byHeader !== 'image') return { type: byHeader, mediaType: MEDIA_TYPES[byHeader] };
  const text = decodeUtf8(bytes.subarray(0, 64 * 1024));
  if (text === undefined) return undefined;
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const whole = decodeUtf8(bytes);
    if (whole !== undefined) {
      try {
        JSON.parse(whole);
        return { type: 'json', mediaType: MEDIA_TYPES.json };
      } catch {
        // Not JSON: fall through to text.
      }
    }
  }
  return { type: 'text', mediaType: MEDIA_TYPES.text };
}

function parseError(field: string, type: ParsedFileType, error: unknown): PetrelError {
  const why = error instanceof Error ? error.message.split('\n')[0]?.slice(0, 300) : String(error);
  return new PetrelError('VALIDATION_FAILED', `files.parse: ${field} could not be read as ${type}: ${why}`, { cause: error, details: { field, file_type: type } });
}

function rowsToObjects(rows: unknown[][]): { columns: string[]; records: Record<string, unknown>[] } {
  const [header = [], ...body] = rows;
  const seen = new Map<string, number>();
  const columns = header.map((cell, index) => {
    const text = cellText(cell).trim();
    const base = text === '' ? `column_${index + 1}` : text;
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    return count === 0 ? base : `${base}_${count + 1}`;
  });
  const records = body
    .filter((row) => row.some((cell) => cell !== null && cell !== undefined && cell !== ''))
    .map((row) => {
      const record: Record<string, unknown> = {};
      const width = Math.max(columns.length, row.length);
      for (let index = 0; index < width; index++) {
        const column = columns[index] ?? `column_${index + 1}`;
        const cell = row[index];
        record[column] = cell instanceof Date ? cell.toISOString() : (cell ?? null);
      }
      return record;
    });
  return { columns, records };
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return value.toString();
  return JSON.stringify(value) ?? '';
}

function csvCell(value: unknown): string {
  const text = cellText(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvText(columns: string[], records: Record<string, unknown>[]): string {
  return [columns.map(csvCell).join(','), ...records.map((record) => columns.map((column) => csvCell(record[column])).join(','))].join('\n');
}

/**
 * Parses a file. Without `type` (or with `auto_detect`) the type is detected. Throws
 * `VALIDATION_FAILED` naming the field when the bytes are not what the type says, and when the type
 * cannot be detected.
 */
export async function parseFile(bytes: Uint8Array, options: ParseFileOptions = {}): Promise<ParsedFile> {
  const field = options.field ?? 'file_url';
  let type: ParsedFileType;
  let mediaType: string;
  if (options.type === undefined || options.type === 'auto_detect') {
    const detected = await detectFileType(bytes, {
      ...(options.name ? { name: options.name } : {}),
      ...(options.contentType ? { contentType: options.contentType } : {}),
    });
    if (!detected) {
      throw new PetrelError('VALIDATION_FAILED', `files.parse: the type of ${field} could not be detected; set file_type`, { details: { field } });
    }
    ({ type, mediaType } = detected);
  } else {
    type = options.type;
    mediaType = MEDIA_TYPES[type];
  }

  switch (type) {
    case 'csv': {
      const text = decodeUtf8(bytes);
      if (text === undefined) throw parseError(field, type, new Error('the file is not UTF-8 text'));
      let rows: string[][];
      try {
        const delimiter = extensionOf(options.name) === 'tsv' || (!text.split('\n', 1)[0]?.includes(',') && text.split('\n', 1)[0]?.includes('\t')) ? '\t' : ',';
        rows = parseCsv(text, { delimiter, relax_column_count: true, skip_empty_lines: true, bom: true });
      } catch (error) {
        throw parseError(field, type, error);
      }
      const { columns, records } = rowsToObjects(rows);
      return { type, data: records, text: csvText(columns, records), mediaType };
    }
    case 'excel': {
      let sheets: Array<{ sheet: string; data: unknown[][] }>;
      try {
        sheets = (await readExcelFile(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))) as Array<{ sheet: string; data: unknown[][] }>;
      } catch (error) {
        throw parseError(field, type, error);
      }
      const names = sheets.map((sheet) => sheet.sheet);
      let chosen = sheets[0];
      if (options.worksheet !== undefined && options.worksheet !== '') {
        const wanted = options.worksheet;
        chosen = sheets.find((sheet) => sheet.sheet === wanted) ?? (/^\d+$/.test(wanted) ? sheets[Number(wanted) - 1] : undefined);
        if (!chosen) {
          throw new PetrelError('VALIDATION_FAILED', `files.parse: worksheet ${JSON.stringify(wanted)} is not in the workbook (sheets: ${names.join(', ')})`, {
            details: { field: 'worksheet', sheets: names },
          });
        }
      }
      const { columns, records } = rowsToObjects(chosen?.data ?? []);
      return { type, data: records, text: csvText(columns, records), ...(chosen ? { sheet: chosen.sheet } : {}), sheets: names, mediaType };
    }
    case 'pdf': {
      try {
        const document = await getDocumentProxy(new Uint8Array(bytes));
        try {
          const { totalPages, text } = await extractText(document, { mergePages: true });
          return { type, data: text, text, pages: totalPages, mediaType };
        } finally {
          // Frees the document's worker-side resources (pdf.js keeps them until its loading task is destroyed).
          await document.loadingTask.destroy();
        }
      } catch (error) {
        throw parseError(field, type, error);
      }
    }
    case 'docx': {
      try {
        const result = await mammoth.extractRawText({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
        const text = result.value.trim();
        return { type, data: text, text, mediaType };
      } catch (error) {
        throw parseError(field, type, error);
      }
    }
    case 'zip': {
      const entries: Array<{ name: string; size: number; compressed_size: number }> = [];
      try {
        // The filter sees every entry and declines them all: a listing inflates nothing (no zip bombs).
        unzipSync(bytes, {
          filter(file) {
            if (entries.length < MAX_ZIP_ENTRIES && !file.name.endsWith('/')) entries.push({ name: file.name, size: file.originalSize, compressed_size: file.size });
            return false;
          },
        });
      } catch (error) {
        throw parseError(field, type, error);
      }
      return { type, data: entries, text: entries.map((entry) => `${entry.name} (${entry.size} bytes)`).join('\n'), mediaType };
    }
    case 'json': {
      const text = decodeUtf8(bytes);
      if (text === undefined) throw parseError(field, type, new Error('the file is not UTF-8 text'));
      try {
        return { type, data: JSON.parse(text) as unknown, text, mediaType };
      } catch (error) {
        throw parseError(field, type, error);
      }
    }
    case 'text': {
      const text = decodeUtf8(bytes) ?? new TextDecoder('latin1').decode(bytes);
      return { type, data: text, text, mediaType };
    }
    case 'image': {
      const detected = await fileTypeFromBuffer(bytes);
      if (!detected || !detected.mime.startsWith('image/')) throw parseError(field, type, new Error('the bytes are not a PNG, JPEG, GIF or WebP image'));
      return { type, data: null, text: '', mediaType: detected.mime };
    }
    default: {
      const unknownType: never = type;
      throw new PetrelError('VALIDATION_FAILED', `files.parse: unknown file type ${String(unknownType)}`, { details: { field: 'file_type' } });
    }
  }
}
