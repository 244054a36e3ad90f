global using Ripcord.Testing;
