using System.CommandLine;

namespace MmProxy.Inspect;

/// <summary>
/// <c>mmproxy inspect</c>: decodes one captured PROXY protocol (v1, v2) or SPP header (raw bytes on
/// stdin, --hex or --file) and prints it as a JSON object naming the format. Exit: 0 valid,
/// 1 invalid, 2 usage error, 3 incomplete.
/// </summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var hex = new Option<string?>("--hex")
        {
            Description = "The captured bytes as hex (whitespace allowed), instead of stdin.",
        };
        var file = new Option<string?>("--file")
        {
            Description = "Read the captured bytes from this file, instead of stdin.",
        };
        var maxHeaderSize = new Option<int?>("--max-header-size")
        {
            Description = "Largest v2 header accepted, in bytes (default 4096).",
        };
        var command = new Command(
            "inspect",
            "Decode a captured PROXY protocol header (v1, or v2 with its TLVs) or Cloudflare SPP header " +
            "(38 bytes, magic 0x56EC) and print it as JSON, with the format it found. " +
            "Exit status: 0 valid, 1 invalid, 2 usage error, 3 incomplete (more bytes needed).");
        command.Options.Add(hex);
        command.Options.Add(file);
        command.Options.Add(maxHeaderSize);
        command.SetAction(parseResult =>
        {
            var request = new InspectRequest(parseResult.GetValue(hex), parseResult.GetValue(file), parseResult.GetValue(maxHeaderSize));
            InvocationConfiguration invocation = parseResult.InvocationConfiguration;
            return InspectRunner.Run(request, StandardInput.OpenIfRedirected, invocation.Output, invocation.Error);
        });
        return command;
    }
}
