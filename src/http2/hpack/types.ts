/** One header field as it travels: name and value are byte strings (one char per octet, U+0000..U+00FF). */
export type HeaderField = readonly [name: string, value: string];
