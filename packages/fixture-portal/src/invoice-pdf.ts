// Invoice PDFs generated with pdf-lib. Text is drawn with a standard font so any PDF text parser can
// extract the invoice id, order id, date and total; document dates come from the order, so the same
// order always yields the same bytes. pdf-lib is loaded on the first invoice, which keeps it out of
// the portal's start-up time.
import type { Order } from './portal-data.ts';

/** `$1,234.56`. */
export function formatMoney(amount: number): string {
  return `$${amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** The download file name of an order's invoice. */
export function invoiceFileName(order: Order): string {
  return `invoice_${order.id}.pdf`;
}

/** Renders the invoice of an order as PDF bytes. */
export async function createInvoicePdf(order: Order, company: string): Promise<Uint8Array> {
  const { PDFDocument, StandardFonts, rgb } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  const when = new Date(`${order.date}T12:00:00.000Z`);
  doc.setTitle(`Invoice ${order.invoiceId}`);
  doc.setAuthor('Ember Supply Co.');
  doc.setSubject(`Invoice for order ${order.id}`);
  doc.setCreator('Petrel fixture portal');
  doc.setProducer('pdf-lib');
  doc.setCreationDate(when);
  doc.setModificationDate(when);

  const page = doc.addPage([595.28, 841.89]); // A4 in points
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const ink = rgb(0.12, 0.14, 0.2);
  const muted = rgb(0.42, 0.45, 0.52);
  const accent = rgb(0.76, 0.33, 0.13);
  const left = 56;
  const right = 539;
  let y = 780;

  const text = (value: string, x: number, size = 10, font = regular, color = ink) => page.drawText(value, { x, y, size, font, color });
  const textRight = (value: string, x: number, size = 10, font = regular) =>
    page.drawText(value, { x: x - font.widthOfTextAtSize(value, size), y, size, font, color: ink });

  text('Ember Supply Co.', left, 18, bold, accent);
  textRight('INVOICE', right, 18, bold);
  y -= 18;
  text('400 Roaster Way, Portland, OR 97201  -  billing@ember-supply.test', left, 9, regular, muted);
  y -= 36;

  const facts: [string, string][] = [
    ['Invoice ID:', order.invoiceId],
    ['Order ID:', order.id],
    ['Invoice date:', order.date],
    ['Status:', order.status],
  ];
  for (const [label, value] of facts) {
    text(label, left, 10, bold);
    text(value, left + 90, 10);
    y -= 15;
  }
  y -= 10;
  text('Bill to:', left, 10, bold);
  text(company, left + 90, 10);
  y -= 15;
  text('Ship to:', left, 10, bold);
  text(order.shipTo, left + 90, 10);
  y -= 30;

  page.drawRectangle({ x: left, y: y - 6, width: right - left, height: 20, color: rgb(0.95, 0.93, 0.9) });
  text('Item', left + 6, 10, bold);
  text('SKU', 300, 10, bold);
  textRight('Qty', 400, 10, bold);
  textRight('Unit price', 470, 10, bold);
  textRight('Amount', right - 6, 10, bold);
  y -= 22;
  for (const item of order.items) {
    text(item.name, left + 6, 10);
    text(item.sku, 300, 9, regular, muted);
    textRight(String(item.quantity), 400);
    textRight(formatMoney(item.unitPrice), 470);
    textRight(formatMoney(item.amount), right - 6);
    y -= 18;
  }
  page.drawLine({ start: { x: left, y: y + 8 }, end: { x: right, y: y + 8 }, thickness: 0.5, color: muted });
  y -= 8;
  const sums: [string, number][] = [
    ['Subtotal', order.subtotal],
    ['Shipping', order.shipping],
    ['Tax (7.25%)', order.tax],
  ];
  for (const [label, value] of sums) {
    textRight(label, 470);
    textRight(formatMoney(value), right - 6);
    y -= 16;
  }
  y -= 4;
  textRight('Total:', 470, 12, bold);
  textRight(formatMoney(order.total), right - 6, 12, bold);
  y -= 30;
  text(`Amount due (${order.currency}): ${order.total.toFixed(2)}`, left, 10, bold);
  y -= 15;
  text(`Payment terms: net 30. Please quote ${order.invoiceId} with your payment.`, left, 9, regular, muted);
  return doc.save();
}
