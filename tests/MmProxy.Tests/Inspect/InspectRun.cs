using System.Text.Json;
using MmProxy.Inspect;

namespace MmProxy.Tests.Inspect;

/// <summary>What one in-process run of <c>mmproxy inspect</c> printed and returned.</summary>
internal sealed record InspectOutcome(int ExitCode, string Stdout, string Stderr)
{
    public JsonElement Json()
    {
        using var document = JsonDocument.Parse(Stdout);
        return document.RootElement.Clone();
    }

    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>Runs <see cref="InspectRunner"/> directly, stdin given as bytes (null: not redirected).</summary>
internal static class InspectRun
{
    public static InspectOutcome Run(InspectRequest request, byte[]? stdin = null)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = InspectRunner.Run(request, () => stdin is null ? null : new MemoryStream(stdin), stdout, stderr);
        return new InspectOutcome(code, stdout.ToString(), stderr.ToString());
    }

    public static InspectOutcome Hex(byte[] bytes) => Run(new InspectRequest(InspectSamples.Hex(bytes), null));
}
