import { describe, expect, it } from 'vitest';
import { MachineFileError } from '../machine-data.js';
import { decodeXmlBytes, parseXml } from './xml.js';

function failure(run: () => unknown): MachineFileError {
  try {
    run();
  } catch (error) {
    if (error instanceof MachineFileError) return error;
    throw error;
  }
  throw new Error('expected a MachineFileError');
}

describe('parseXml', () => {
  it('reads elements, attributes and nesting, skipping declarations, comments and text', () => {
    const root = parseXml('<?xml version="1.0"?>\n<!-- a comment --><ROOT a="1"><TSK A="TSK1" B=\'x y\'><TLG A="TLG1"/></TSK>text<PFD/></ROOT>', 't.xml');
    expect(root.name).toBe('ROOT');
    expect(root.attributes).toEqual({ a: '1' });
    expect(root.children.map((c) => c.name)).toEqual(['TSK', 'PFD']);
    expect(root.children[0]!.attributes).toEqual({ A: 'TSK1', B: 'x y' });
    expect(root.children[0]!.children[0]!.attributes.A).toBe('TLG1');
  });

  it('decodes the predefined entities and character references in attributes', () => {
    const root = parseXml('<R A="a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#228;&#xE9;"/>', 't.xml');
    expect(root.attributes.A).toBe('a & b <c> "d" \'e\' äé');
  });

  it('refuses a DOCTYPE with an external entity instead of resolving it', () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><ISO11783_TaskData A="&x;"/>';
    const error = failure(() => parseXml(xxe, 'TASKDATA.XML'));
    expect(error.code).toBe('corrupt_file');
    expect(error.message).toContain('TASKDATA.XML declares a DOCTYPE');
  });

  it('refuses an undeclared entity, mismatched tags and a missing root', () => {
    expect(failure(() => parseXml('<R A="&x;"/>', 'a.xml')).message).toContain('undeclared entity &x;');
    expect(failure(() => parseXml('<R><S></R>', 'b.xml')).message).toContain('does not match');
    expect(failure(() => parseXml('<R>', 'c.xml')).message).toContain('never closed');
    expect(failure(() => parseXml('   ', 'd.xml')).message).toContain('no root element');
    expect(failure(() => parseXml('<R A=1/>', 'e.xml')).message).toContain('unquoted attribute');
  });

  it('refuses nesting deeper than any ISOXML file has', () => {
    expect(failure(() => parseXml('<a>'.repeat(1000), 'deep.xml')).message).toContain('nested deeper');
  });

  it('decodes bytes by the declared encoding', () => {
    const latin1 = Uint8Array.from([...Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><R A="'), 0xe4, ...Buffer.from('"/>')]);
    expect(parseXml(decodeXmlBytes(latin1, 'l.xml'), 'l.xml').attributes.A).toBe('ä');
    const utf8 = new TextEncoder().encode('\uFEFF<R A="ä"/>');
    expect(parseXml(decodeXmlBytes(utf8, 'u.xml'), 'u.xml').attributes.A).toBe('ä');
  });
});
