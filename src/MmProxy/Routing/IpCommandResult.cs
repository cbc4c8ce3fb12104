namespace MmProxy.Routing;

/// <summary>The outcome of one `ip` invocation. <see cref="ExitCode"/> is -1 when it could not run at all.</summary>
internal sealed record IpCommandResult(string CommandLine, int ExitCode, string StdOut, string StdErr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The first line of stderr (or stdout), for one-line messages.</summary>
    public string FirstErrorLine
    {
        get
        {
            string text = StdErr.Trim().Length > 0 ? StdErr : StdOut;
            text = text.Trim();
            int newline = text.IndexOf('\n', StringComparison.Ordinal);
            return newline < 0 ? text : text[..newline].Trim();
        }
    }
}
