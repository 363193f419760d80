package tui

import (
	"strconv"
	"strings"
)

// applySGR returns p changed by the SGR parameters params (such as
// "1;38;5;208"). Only the safe subset is applied: reset, bold, underline,
// and the colours; everything else (blink, conceal, reverse…) is ignored.
func applySGR(p pen, params string) pen {
	list := strings.Split(params, ";")
	for k := 0; k < len(list); k++ {
		sub := strings.Split(list[k], ":")
		n := sgrNumber(sub[0])
		switch {
		case n == 0:
			p = pen{}
		case n == 1:
			p.attr |= attrBold
		case n == 22:
			p.attr &^= attrBold
		case n == 4:
			if len(sub) > 1 && sgrNumber(sub[1]) == 0 {
				p.attr &^= attrUnderline
			} else {
				p.attr |= attrUnderline
			}
		case n == 24:
			p.attr &^= attrUnderline
		case n >= 30 && n <= 37:
			p.fg = colorBasic | tcolor(n-30)
		case n >= 90 && n <= 97:
			p.fg = colorBasic | tcolor(n-90+8)
		case n == 39:
			p.fg = 0
		case n >= 40 && n <= 47:
			p.bg = colorBasic | tcolor(n-40)
		case n >= 100 && n <= 107:
			p.bg = colorBasic | tcolor(n-100+8)
		case n == 49:
			p.bg = 0
		case n == 38 || n == 48:
			var c tcolor
			var ok bool
			if len(sub) > 1 {
				c, ok = extendedColor(sub[1:], true)
			} else {
				var used int
				c, ok, used = extendedColorList(list[k+1:])
				k += used
			}
			if ok && n == 38 {
				p.fg = c
			} else if ok {
				p.bg = c
			}
		}
	}
	return p
}

// extendedColorList reads "5;n" or "2;r;g;b" after a 38 or 48, and says
// how many parameters it used.
func extendedColorList(rest []string) (tcolor, bool, int) {
	if len(rest) == 0 {
		return 0, false, 0
	}
	switch sgrNumber(rest[0]) {
	case 5:
		if len(rest) < 2 {
			return 0, false, len(rest)
		}
		c, ok := extendedColor(rest[:2], false)
		return c, ok, 2
	case 2:
		if len(rest) < 4 {
			return 0, false, len(rest)
		}
		c, ok := extendedColor(rest[:4], false)
		return c, ok, 4
	}
	return 0, false, 1
}

// extendedColor reads the colour of a 38 or 48 from its parts: 5, n or
// 2, r, g, b; in the colon form the truecolor one may name a colour space
// first (2::r:g:b).
func extendedColor(parts []string, colon bool) (tcolor, bool) {
	switch sgrNumber(parts[0]) {
	case 5:
		if len(parts) < 2 {
			return 0, false
		}
		n := sgrNumber(parts[1])
		if n > 255 {
			return 0, false
		}
		return colorIndexed | tcolor(n), true
	case 2:
		rgb := parts[1:]
		if colon && len(rgb) >= 4 {
			rgb = rgb[1:] // the colour space id
		}
		if len(rgb) < 3 {
			return 0, false
		}
		r, g, b := sgrNumber(rgb[0]), sgrNumber(rgb[1]), sgrNumber(rgb[2])
		if r > 255 || g > 255 || b > 255 {
			return 0, false
		}
		return colorRGB | tcolor(r<<16|g<<8|b), true
	}
	return 0, false
}

// sgrNumber reads one SGR parameter; empty is 0, and anything out of
// range is a large number no case matches.
func sgrNumber(s string) int {
	if len(s) > 5 {
		return 1 << 20
	}
	n, err := strconv.Atoi(s)
	if err != nil && s != "" {
		return 1 << 20
	}
	return n
}
