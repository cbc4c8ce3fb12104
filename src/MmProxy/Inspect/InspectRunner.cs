using System.Buffers;
using System.Globalization;
using System.Text;
using MmProxy.ProxyProtocol;

namespace MmProxy.Inspect;

/// <summary>The inspect logic, independent of the command line (tested directly).</summary>
internal static class InspectRunner
{
    /// <summary>Input beyond this is not read: a header is at most 64 KiB, the rest only counts as payload.</summary>
    public const int MaxInputBytes = 16 * 1024 * 1024;

    public static int Run(InspectRequest request, Func<Stream?> openStdin, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(openStdin);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);

        if (request.Hex is not null && request.File is not null)
        {
            return Usage(stderr, "give either --hex or --file, not both");
        }

        ProxyHeaderParser parser;
        try
        {
            parser = request.MaxHeaderSize is int max
                ? new ProxyHeaderParser(new ProxyHeaderParserOptions { MaxHeaderSize = max })
                : ProxyHeaderParser.Default;
        }
        catch (ArgumentOutOfRangeException)
        {
            return Usage(
                stderr,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"--max-header-size must be between {ProxyHeaderParserOptions.MinimumMaxHeaderSize} and {ProxyHeaderParserOptions.LargestPossibleHeader}"));
        }

        byte[]? input;
        string? problem;
        if (request.Hex is not null)
        {
            input = HexInput.TryDecode(request.Hex, out problem);
        }
        else if (request.File is not null)
        {
            input = ReadFile(request.File, out problem);
        }
        else
        {
            using Stream? stdin = openStdin();
            if (stdin is null)
            {
                input = null;
                problem = "no input: give --hex HEX, --file PATH, or pipe the bytes on stdin";
            }
            else
            {
                input = ReadAll(stdin, out problem);
            }
        }

        if (input is null)
        {
            return Usage(stderr, problem ?? "no input");
        }

        ProxyParseResult result = parser.Parse(input);
        if (result.Status == ProxyParseStatus.Complete)
        {
            stdout.WriteLine(InspectJson.Header(result.Header, input.Length - result.BytesConsumed));
            return InspectExitCodes.Valid;
        }

        if (result.Error == ProxyParseError.NotProxyProtocol && InspectFormat.StartsWithSppMagic(input))
        {
            SppParseResult spp = SppCodec.Parse(input);
            if (spp.IsValid)
            {
                stdout.WriteLine(InspectJson.Spp(spp.Header, input.Length - SppHeader.Length));
                return InspectExitCodes.Valid;
            }

            // With the magic, the only failure left is a header cut short.
            return Incomplete(stdout, stderr, InspectFormat.Spp, input.Length);
        }

        string? format = InspectFormat.Of(result, input);
        if (result.Status == ProxyParseStatus.NeedMore)
        {
            return Incomplete(stdout, stderr, format, input.Length);
        }

        // The library's wording names PROXY only; inspect also knows SPP.
        string reason = result.Error == ProxyParseError.NotProxyProtocol
            ? "not a PROXY protocol or SPP header"
            : result.Error.ToMessage();
        stdout.WriteLine(InspectJson.Error(format, reason));
        stderr.WriteLine($"mmproxy inspect: invalid {Named(format)}header: {reason}");
        return InspectExitCodes.Invalid;
    }

    private static int Incomplete(TextWriter stdout, TextWriter stderr, string? format, int length)
    {
        const string Reason = "incomplete header: more bytes needed";
        stdout.WriteLine(InspectJson.Error(format, Reason));
        stderr.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"mmproxy inspect: incomplete {Named(format)}header: more bytes needed (got {length} bytes)"));
        return InspectExitCodes.Incomplete;
    }

    private static string Named(string? format) => format is null ? string.Empty : format + " ";

    private static int Usage(TextWriter stderr, string message)
    {
        stderr.WriteLine("mmproxy inspect: " + message);
        stderr.WriteLine("Run 'mmproxy inspect --help' for usage.");
        return InspectExitCodes.Usage;
    }

    private static byte[]? ReadFile(string path, out string? problem)
    {
        try
        {
            using FileStream stream = File.OpenRead(path);
            return ReadAll(stream, out problem);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            problem = $"cannot read {path}: {e.Message}";
            return null;
        }
    }

    private static byte[]? ReadAll(Stream stream, out string? problem)
    {
        problem = null;
        var buffer = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (buffer.WrittenCount < MaxInputBytes)
            {
                int read = stream.Read(buffer.GetSpan(4096));
                if (read == 0)
                {
                    break;
                }

                buffer.Advance(read);
            }
        }
        catch (IOException e)
        {
            problem = "cannot read the input: " + e.Message;
            return null;
        }

        return buffer.WrittenSpan.ToArray();
    }
}
