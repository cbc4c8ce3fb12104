using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>
/// One kernel pipe (both ends non-blocking, close-on-exec) used as the in-kernel buffer between
/// two splice(2) calls. Owned by one relay direction at a time (via <see cref="PipePool"/>).
/// </summary>
internal sealed class SplicePipe : IDisposable
{
    private int _disposed;

    private SplicePipe(int readFd, int writeFd, int capacity)
    {
        ReadFd = readFd;
        WriteFd = writeFd;
        Capacity = capacity;
    }

    public int ReadFd { get; }

    public int WriteFd { get; }

    /// <summary>Bytes the pipe holds before a write would block (F_GETPIPE_SZ).</summary>
    public int Capacity { get; }

    /// <summary>Creates a pipe, asking for <paramref name="requestedCapacity"/> bytes (0: the kernel default).</summary>
    public static unsafe SplicePipe? TryCreate(int requestedCapacity, out int errno)
    {
        int* fds = stackalloc int[2];
        if (SpliceNativeMethods.Pipe2(fds, SpliceNativeMethods.OCloExec | SpliceNativeMethods.ONonBlock) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }

        if (requestedCapacity > 0)
        {
            // Best effort: above fs.pipe-max-size or the per-user quota the default size stays.
            _ = SpliceNativeMethods.Fcntl(fds[1], SpliceNativeMethods.FSetPipeSize, requestedCapacity);
        }

        int capacity = SpliceNativeMethods.Fcntl(fds[1], SpliceNativeMethods.FGetPipeSize, 0);
        errno = 0;
        return new SplicePipe(fds[0], fds[1], capacity > 0 ? capacity : 65536);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _ = DescriptorNativeMethods.Close(ReadFd);
        _ = DescriptorNativeMethods.Close(WriteFd);
    }
}
