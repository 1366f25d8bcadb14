// File parsing for file_url_parser / pdf_parser: type detection and one parser per type, on files
// generated here (CSV, TSV, XLSX with write-excel-file, DOCX and ZIP with fflate, JSON, text, PNG).
// PDFs are covered by the portal invoices in the integration tests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import writeExcelFile from 'write-excel-file/node';
import { detectFileType, parseFile } from '@petrel/blocks';
import { isPetrelError } from '@petrel/protocol';

const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

function minimalDocx(paragraphs: string[]): Uint8Array {
  const body = paragraphs.map((p) => `<w:p><w:r><w:t xml:space="preserve">${p}</w:t></w:r></w:p>`).join('');
  return zipSync({
    '[Content_Types].xml': strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    ),
    '_rels/.rels': strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    ),
    'word/document.xml': strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`,
    ),
  });
}

test('CSV: rows keyed by the header, quoted fields, a BOM, blank lines, duplicate and empty headers', async () => {
  const csv = '\uFEFForder_id,total,note,note,\r\nORD-1,465.93,"said ""hi"", twice",x,y\r\n\r\nORD-2,12.50,,,\r\n';
  const parsed = await parseFile(Buffer.from(csv), { name: 'orders.csv' });
  assert.equal(parsed.type, 'csv');
  assert.deepEqual(parsed.data, [
    { order_id: 'ORD-1', total: '465.93', note: 'said "hi", twice', note_2: 'x', column_5: 'y' },
    { order_id: 'ORD-2', total: '12.50', note: '', note_2: '', column_5: '' },
  ]);
  assert.match(parsed.text, /^order_id,total,note,note_2,column_5\nORD-1,465.93,"said ""hi"", twice",x,y/);
});

test('TSV by name and by content', async () => {
  const tsv = 'a\tb\n1\t2\n';
  assert.deepEqual((await parseFile(Buffer.from(tsv), { name: 'x.tsv' })).data, [{ a: '1', b: '2' }]);
  assert.deepEqual((await parseFile(Buffer.from(tsv), { type: 'csv' })).data, [{ a: '1', b: '2' }]);
});

test('Excel: the first sheet by default, another by name or number, dates as ISO text', async () => {
  const xlsx = await writeExcelFile([
    {
      sheet: 'Orders',
      data: [
        [{ value: 'order_id' }, { value: 'total' }, { value: 'date' }],
        [{ value: 'ORD-1' }, { value: 465.93 }, { value: new Date('2026-01-02T00:00:00Z'), type: Date, format: 'yyyy-mm-dd' }],
        [{ value: 'ORD-2' }, { value: 12.5 }, null],
      ],
    },
    { sheet: 'Notes', data: [[{ value: 'note' }], [{ value: 'second sheet' }]] },
  ]).toBuffer();
  const detected = await detectFileType(xlsx, {});
  assert.equal(detected?.type, 'excel');
  const first = await parseFile(xlsx);
  assert.equal(first.type, 'excel');
  assert.equal(first.sheet, 'Orders');
  assert.deepEqual(first.sheets, ['Orders', 'Notes']);
  assert.deepEqual(first.data, [
    { order_id: 'ORD-1', total: 465.93, date: '2026-01-02T00:00:00.000Z' },
    { order_id: 'ORD-2', total: 12.5, date: null },
  ]);
  assert.deepEqual((await parseFile(xlsx, { worksheet: 'Notes' })).data, [{ note: 'second sheet' }]);
  assert.deepEqual((await parseFile(xlsx, { worksheet: '2' })).data, [{ note: 'second sheet' }]);
  await assert.rejects(parseFile(xlsx, { worksheet: 'Missing' }), (error: unknown) => {
    assert.ok(isPetrelError(error));
    assert.deepEqual(error.details, { field: 'worksheet', sheets: ['Orders', 'Notes'] });
    return true;
  });
});

test('DOCX: the text of the paragraphs', async () => {
  const docx = minimalDocx(['Invoice INV-2026-10001', 'Amount due: 465.93']);
  const parsed = await parseFile(docx, { name: 'invoice.docx' });
  assert.equal(parsed.type, 'docx');
  assert.match(String(parsed.data), /Invoice INV-2026-10001\s+Amount due: 465\.93/);
});

test('ZIP: a listing of entries with sizes, without inflating them', async () => {
  const zip = zipSync({ 'a.txt': strToU8('hello'), 'dir/big.bin': new Uint8Array(5_000_000), 'dir/': new Uint8Array(0) }, { level: 9 });
  assert.ok(zip.byteLength < 100_000);
  const parsed = await parseFile(zip);
  assert.equal(parsed.type, 'zip');
  const entries = parsed.data as Array<{ name: string; size: number }>;
  assert.deepEqual(
    entries.map((e) => [e.name, e.size]),
    [
      ['a.txt', 5],
      ['dir/big.bin', 5_000_000],
    ],
  );
});

test('JSON and plain text are detected from their content', async () => {
  const json = await parseFile(Buffer.from('  {"orders":[{"id":"ORD-1"}]}'));
  assert.equal(json.type, 'json');
  assert.deepEqual(json.data, { orders: [{ id: 'ORD-1' }] });
  const text = await parseFile(Buffer.from('just some notes\nline two'));
  assert.equal(text.type, 'text');
  assert.equal(text.data, 'just some notes\nline two');
  assert.equal((await parseFile(Buffer.from('[not json'), {})).type, 'text');
});

test('images are recognised by their bytes and left for the model', async () => {
  const parsed = await parseFile(PNG_1X1, { name: 'scan' });
  assert.equal(parsed.type, 'image');
  assert.equal(parsed.mediaType, 'image/png');
  await assert.rejects(parseFile(Buffer.from('not an image'), { type: 'image' }), /could not be read as image/);
});

test('bytes that are not the declared type are refused naming the field', async () => {
  await assert.rejects(parseFile(Buffer.from('plain text'), { type: 'pdf', field: 'file_url' }), (error: unknown) => {
    assert.ok(isPetrelError(error));
    assert.equal(error.code, 'VALIDATION_FAILED');
    assert.deepEqual(error.details, { field: 'file_url', file_type: 'pdf' });
    return true;
  });
  await assert.rejects(parseFile(Buffer.from('plain'), { type: 'excel' }), /could not be read as excel/);
  await assert.rejects(parseFile(Buffer.from('{"broken":'), { type: 'json' }), /could not be read as json/);
  await assert.rejects(parseFile(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]), { type: 'auto_detect' }), /could not be detected/);
});
