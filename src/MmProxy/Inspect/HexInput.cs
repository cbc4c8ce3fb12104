namespace MmProxy.Inspect;

/// <summary>Hex text as pasted from captures: whitespace anywhere, optional "0x" prefix, either case.</summary>
internal static class HexInput
{
    public static byte[]? TryDecode(string text, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        var digits = new char[text.Length];
        int n = 0;
        ReadOnlySpan<char> span = text.AsSpan().Trim();
        if (span.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            span = span[2..];
        }

        foreach (char c in span)
        {
            if (char.IsWhiteSpace(c))
            {
                continue;
            }

            if (!char.IsAsciiHexDigit(c))
            {
                problem = $"--hex: '{c}' is not a hex digit";
                return null;
            }

            digits[n++] = c;
        }

        if (n % 2 != 0)
        {
            problem = "--hex: odd number of hex digits";
            return null;
        }

        problem = null;
        return Convert.FromHexString(digits.AsSpan(0, n));
    }
}
