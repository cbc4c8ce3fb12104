using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MmProxy.Configuration;

/// <summary>
/// Reads an allowed-subnets file: one CIDR (or bare address) per line, <c>#</c> comments and blank
/// lines allowed. Host bits are masked with a warning; any bad line fails the whole load, and a file
/// without entries fails too (fail closed, unlike go-mmproxy which then allows everyone).
/// </summary>
internal static class AllowedSubnetsLoader
{
    public static AllowedSubnetsLoadResult LoadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return TryReadList(path, "allowed subnets", out string text, out string? error)
            ? Parse(text, path)
            : AllowedSubnetsLoadResult.Failure(error!, []);
    }

    /// <summary>Reads a list file (allowed subnets, allowed destinations); the error names the file and the list.</summary>
    internal static bool TryReadList(string path, string what, out string text, out string? error)
    {
        try
        {
            text = System.IO.File.ReadAllText(path);
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            text = string.Empty;
            error = $"{path}: cannot read the {what} file: {ex.Message}";
            return false;
        }
    }

    /// <param name="text">The file's contents.</param>
    /// <param name="source">The file name used in messages.</param>
    public static AllowedSubnetsLoadResult Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(source);
        var networks = new List<IPNetwork>();
        var warnings = new List<string>();
        int lineNumber = 0;
        foreach (ReadOnlySpan<char> rawLine in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            ReadOnlySpan<char> line = rawLine;
            int hash = line.IndexOf('#');
            if (hash >= 0)
            {
                line = line[..hash];
            }

            line = line.Trim();
            if (line.IsEmpty)
            {
                continue;
            }

            if (!TryParseNetwork(line, out IPNetwork network, out bool hostBitsMasked, out string? problem))
            {
                return AllowedSubnetsLoadResult.Failure(
                    $"{source}:{lineNumber}: {problem} (a line holds one subnet such as 192.0.2.0/24 or 2001:db8::/32)",
                    warnings);
            }

            if (hostBitsMasked)
            {
                warnings.Add($"{source}:{lineNumber}: {line.ToString()} has host bits set; using {network}");
            }

            networks.Add(network);
        }

        if (networks.Count == 0)
        {
            return AllowedSubnetsLoadResult.Failure(
                $"{source}: the allowed subnets file lists no subnet; refusing to start rather than allow everyone or no one",
                warnings);
        }

        return AllowedSubnetsLoadResult.Success(AllowedSubnets.Create(networks), warnings);
    }

    internal static bool TryParseNetwork(ReadOnlySpan<char> text, out IPNetwork network, out bool hostBitsMasked, out string? problem)
    {
        network = default;
        hostBitsMasked = false;
        int slash = text.IndexOf('/');
        ReadOnlySpan<char> addressText = slash >= 0 ? text[..slash] : text;
        if (!StrictIPAddress.TryParse(addressText, out IPAddress? address) || address is null)
        {
            problem = $"'{Printable(addressText)}' is not an IP address";
            return false;
        }

        int maxPrefix = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int prefix = maxPrefix;
        if (slash >= 0)
        {
            ReadOnlySpan<char> prefixText = text[(slash + 1)..];
            if (prefixText.IsEmpty || prefixText.Length > 3
                || !int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out prefix)
                || prefix > maxPrefix)
            {
                problem = $"'{Printable(prefixText)}' is not a prefix length between 0 and {maxPrefix}";
                return false;
            }
        }

        IPAddress masked = Mask(address, prefix, out hostBitsMasked);
        network = new IPNetwork(masked, prefix);
        problem = null;
        return true;
    }

    private static IPAddress Mask(IPAddress address, int prefix, out bool changed)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int length);
        bytes = bytes[..length];
        changed = false;
        for (int i = 0; i < length; i++)
        {
            int bitsKept = Math.Clamp(prefix - (i * 8), 0, 8);
            byte mask = (byte)(0xFF << (8 - bitsKept));
            if ((bytes[i] & ~mask & 0xFF) != 0)
            {
                changed = true;
                bytes[i] &= mask;
            }
        }

        return changed ? new IPAddress(bytes) : address;
    }

    // Lines come from a file an operator wrote; still, keep control characters out of messages.
    private static string Printable(ReadOnlySpan<char> text)
    {
        const int MaxShown = 64;
        var chars = new char[Math.Min(text.Length, MaxShown)];
        for (int i = 0; i < chars.Length; i++)
        {
            char c = text[i];
            chars[i] = char.IsControl(c) ? '?' : c;
        }

        return text.Length > MaxShown ? new string(chars) + "..." : new string(chars);
    }
}
